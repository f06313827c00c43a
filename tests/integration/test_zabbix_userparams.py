"""UserParameters side by side: the same zabbix_agentd.d files given to Debian's zabbix_agentd
(Include=) and to beacon-agent (zabbix.include, the file with pipes as shell: true), both asked
with the real zabbix_get: the same values (stdout and stderr, trailing whitespace trimmed, exit
code ignored, $1..$9, $0 and $$ as zabbix_agentd substitutes them), the same refusals of unsafe
parameters and of parameters to a key without [*], and a command past the timeout answered
with the same text while its whole process group is killed (no process left behind). Skipped
when the packages are absent (scripts/bootstrap installs them)."""
import os
import subprocess
import time
import unittest

from harness import wait_for, workdir
from zabbix_agents import (ZABBIX_AGENTD, ZABBIX_GET, start_beacon_agent, start_zabbix_agentd,
                           stop, wait_until_both_ready)

HAVE_ZABBIX = os.access(ZABBIX_AGENTD, os.X_OK) and os.access(ZABBIX_GET, os.X_OK)

# Commands that need no shell: beacon-agent runs them as argv.
PLAIN = """# plain commands
Hostname=ignored-by-beacon
UserParameter=up.echo[*],echo $1-$2-'$$1'-$3x
UserParameter=up.args[*],printf '[%s]' $1 $2
UserParameter=up.ws,printf '  a b \\t\\n\\n'
UserParameter=up.empty,true
UserParameter=up.fixed,echo fixed
UserParameter=up.nine[*],echo $9
"""
# Commands that need /bin/sh.
SHELL = """UserParameter=up.fail,echo out; echo err >&2; exit 3
UserParameter=up.pipe[*],echo "$1" | tr a-z A-Z
UserParameter=up.zero[*],echo $0
UserParameter=up.hang[*],sleep $1 & sleep $1
"""


def processes_running(pattern):
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [p for p in r.stdout.split() if p]


@unittest.skipUnless(HAVE_ZABBIX, "zabbix-agent / zabbix_get not installed (scripts/bootstrap)")
class ZabbixUserParametersSideBySide(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = workdir("zbxuserparams")
        plain = os.path.join(cls.dir, "zabbix_agentd.d")
        shell = os.path.join(cls.dir, "zabbix_agentd.shell.d")
        for d, text in ((plain, PLAIN), (shell, SHELL)):
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "userparameters.conf"), "w") as f:
                f.write(text)
        cls.zabbix, cls.zport, cls.zlog = start_zabbix_agentd(
            cls.dir, f"Include={plain}/*.conf\nInclude={shell}/*.conf\n")
        cls.beacon, cls.bport, cls.blog = start_beacon_agent(cls.dir, f"""  include:
    - {plain}/*.conf
    - {{path: {shell}, shell: true}}
""")
        wait_until_both_ready(cls, ((cls.zport, cls.zlog), (cls.bport, cls.blog)),
                              lambda port: cls.get(port, "up.fixed") == "fixed",
                              "both agents to answer up.fixed", 20)

    @classmethod
    def tearDownClass(cls):
        stop(cls.zabbix)
        stop(cls.beacon)

    @staticmethod
    def get(port, key):
        r = subprocess.run([ZABBIX_GET, "-s", "127.0.0.1", "-p", str(port), "-k", key],
                           capture_output=True, timeout=30)
        return (r.stdout + r.stderr).decode(errors="replace").rstrip("\n")

    def both(self, key):
        return self.get(self.zport, key), self.get(self.bport, key)

    def test_same_values(self):
        for key in ("up.echo[a,b]", "up.echo[a]", "up.echo", 'up.echo["a b",c]',
                    "up.echo[ a,b ]", "up.args[x,z]", "up.ws", "up.empty", "up.fixed",
                    "up.nine[1,2,3,4,5,6,7,8,9]", "up.fail", "up.pipe[abc]", "up.pipe[]"):
            z, b = self.both(key)
            self.assertEqual(z, b, key)
        self.assertEqual(self.get(self.bport, "up.fail"), "out\nerr")
        self.assertEqual(self.get(self.bport, "up.ws"), "  a b")

    def test_without_a_shell_a_parameter_is_one_argument(self):
        # The one intended difference: zabbix_agentd's shell splits an unquoted $1 at blanks,
        # beacon-agent (no shell) passes each parameter as exactly one argument.
        z, b = self.both("up.args[x y,z]")
        self.assertEqual(z, "[x][y][z]")
        self.assertEqual(b, "[x y][z]")

    def test_dollar_zero_is_the_command(self):
        # Through the shell both print the command with $0 replaced by itself, then expanded.
        z, b = self.both("up.zero[x]")
        self.assertEqual(z, b)

    def test_same_refusals(self):
        for key in ('up.echo["a;b"]', 'up.echo[a,"$(id)"]', 'up.echo["a|b"]', "up.echo[a`]",
                    'up.pipe["x\'y"]', "up.fixed[x]", "up.missing", "up.echo[a"):
            z, b = self.both(key)
            self.assertTrue(z.startswith("ZBX_NOTSUPPORTED"), (key, z))
            self.assertEqual(z, b, key)
        # A parameter the command does not use is not checked, by either.
        z, b = self.both('up.echo[a,b,c,"x;y"]')
        self.assertEqual(z, b)

    def test_timeout_kills_the_whole_group(self):
        for port, seconds in ((self.zport, 71), (self.bport, 72)):
            start = time.time()
            value = self.get(port, f"up.hang[{seconds}]")
            self.assertEqual(value, "ZBX_NOTSUPPORTED: Timeout while executing a shell script.",
                             port)
            self.assertLess(time.time() - start, 10)
            wait_for(lambda: not processes_running(f"sleep {seconds}"), 5,
                     f"no 'sleep {seconds}' left behind")


if __name__ == "__main__":
    unittest.main()
