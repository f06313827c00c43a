"""Starting the two agents of the Zabbix side-by-side tests: Debian's zabbix_agentd (as the test
user, in the foreground, with its own config, pid and log files on a free port in 1024..32767)
and beacon-agent with a `zabbix:` section (a collector that is never reached)."""
import os
import shutil
import subprocess

from harness import AGENT, free_low_port, tail, wait_for

ZABBIX_AGENTD = shutil.which("zabbix_agentd") or "/usr/sbin/zabbix_agentd"
ZABBIX_GET = shutil.which("zabbix_get") or "/usr/bin/zabbix_get"


def start_zabbix_agentd(directory, extra):
    """zabbix_agentd listening on 127.0.0.1 for Server=127.0.0.1, Hostname=testhost,
    Timeout=3, plus the `extra` lines. Returns (process, port, log file)."""
    port = free_low_port()
    log = os.path.join(directory, "zabbix_agentd.log")
    conf = os.path.join(directory, "zabbix_agentd.conf")
    with open(conf, "w") as f:
        f.write(f"""LogType=file
LogFile={log}
PidFile={directory}/zabbix_agentd.pid
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort={port}
Hostname=testhost
AllowRoot=1
Timeout=3
{extra}""")
    proc = subprocess.Popen([ZABBIX_AGENTD, "-f", "-c", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port, log


def start_beacon_agent(directory, zabbix, inputs=""):
    """beacon-agent named testhost listening on 127.0.0.1 for 127.0.0.1 with timeout 3s, plus
    the `zabbix` lines (indented two spaces) and an `inputs:` section when `inputs` (its lines,
    indented two spaces) is given. Returns (process, port, log file)."""
    port = free_low_port()
    token = os.path.join(directory, "token")
    with open(token, "w") as f:
        f.write("unused\n")
    log = os.path.join(directory, "beacon-agent.log")
    config = os.path.join(directory, "agent.yaml")
    with open(config, "w") as f:
        f.write(f"""agent:
  name: testhost
  data_dir: {directory}/beacon-data
collector:
  url: http://127.0.0.1:9
  token_file: {token}
{"inputs:" + chr(10) + inputs if inputs else ""}zabbix:
  listen: 127.0.0.1:{port}
  allow: [127.0.0.1]
  timeout: 3s
{zabbix}log:
  file: {log}
""")
    proc = subprocess.Popen([AGENT, "run", "-c", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port, log


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_both_ready(cls, pairs, ready, what, timeout):
    """In a setUpClass: waits until ready(subject) holds for each (subject, log file) in pairs
    (an agent's port, or the fake server it reports to), showing the log's tail on a timeout;
    if either never gets there, tears the class down (both agents stopped) and re-raises."""
    try:
        for subject, log in pairs:
            wait_for(lambda: ready(subject), timeout, f"{what}\n{tail(log)}", interval=0.2)
    except Exception:
        cls.tearDownClass()
        raise
