"""jmx input against real peers, through a real agent (interval 1s) and collector: a JVM with JMX
remote on loopback read through Debian's zabbix-java-gateway (ThreadCount agrees with the JVM's
own ThreadMXBean within 2, heap used > 0), and Debian's tomcat10 + tomcat10-admin read through
the manager's JMXProxyServlet with a manager-jmx user made by the test (requestCount grows by at
least the number of requests the test makes, heap used > 0). Skipped when the packages are absent
(scripts/bootstrap installs them)."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest
import urllib.request

from harness import Agent, Collector, free_low_port, free_port, tail, wait_for, workdir

JAVA_HOME = os.environ.get("BEACON_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
JAVA = os.path.join(JAVA_HOME, "bin", "java")
JAVAC = os.path.join(JAVA_HOME, "bin", "javac")
GATEWAY_JAR = "/usr/sbin/zabbix-java-gateway.jar"
CATALINA_HOME = "/usr/share/tomcat10"
TOMCAT_CONF = "/etc/tomcat10"
MANAGER_APP = "/usr/share/tomcat10-admin/manager"
EXTRA_THREADS = 12

# Starts EXTRA_THREADS sleeping threads, then prints "<epoch ms> <ThreadMXBean count>" every
# 100 ms: the JVM's own view of what JMX ThreadCount should say at that moment.
TARGET_JAVA = """
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

public class JmxTarget {
  public static void main(String[] args) throws Exception {
    int extra = Integer.parseInt(args[0]);
    for (int i = 0; i < extra; i++) {
      Thread t = new Thread(() -> {
        try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { }
      }, "beacon-sleeper-" + i);
      t.setDaemon(true);
      t.start();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    while (true) {
      System.out.println(System.currentTimeMillis() + " " + threads.getThreadCount());
      System.out.flush();
      Thread.sleep(100);
    }
  }
}
"""

GATEWAY_LOGBACK = """<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>{log}</file>
    <encoder>
      <pattern>%d{{HH:mm:ss.SSS}} [%thread] %-5level %logger{{36}} - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="info"><appender-ref ref="FILE" /></root>
</configuration>
"""

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
              pathname="conf/tomcat-users.xml" />
  </GlobalNamingResources>
  <Service name="Catalina">
    <Connector port="{manager_port}" address="127.0.0.1" protocol="HTTP/1.1"
               connectionTimeout="20000" />
    <Connector port="{app_port}" address="127.0.0.1" protocol="HTTP/1.1"
               connectionTimeout="20000" />
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase" />
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" />
    </Engine>
  </Service>
</Server>
"""

TOMCAT_USERS = """<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="manager-jmx"/>
  <user username="{user}" password="{password}" roles="manager-jmx"/>
</tomcat-users>
"""

MANAGER_CONTEXT = f"""<?xml version="1.0" encoding="UTF-8"?>
<Context path="/manager" docBase="{MANAGER_APP}" antiResourceLocking="false" privileged="true" />
"""


def stop_process(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class JmxRealTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("jmx-real")
        self.procs = []
        self.files = []
        self.agent = None
        self.collector = Collector(self.dir).start()
        self.agent_name = "itest-jmx-" + self.id().rsplit(".", 1)[-1].replace("_", "-")
        self.token = self.collector.create_token(self.agent_name)

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        self.collector.stop()
        for proc in reversed(self.procs):
            stop_process(proc)
        for f in self.files:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_agent(self, targets_yaml):
        inputs_yaml = f"""  jmx:
    enabled: true
    interval: 1s
    timeout: 5s
    default_metrics: true
    targets:
{targets_yaml}"""
        self.agent = Agent(self.dir, self.agent_name, self.collector.url, self.token,
                           inputs_yaml=inputs_yaml).start()

    def samples(self, metric, since_ms=0):
        rows = self.collector.query(
            "SELECT ts_ms, labels_json, value FROM samples WHERE agent = ? AND metric = ? "
            "AND ts_ms >= ? ORDER BY seq", (self.agent_name, metric, since_ms))
        return [(r[0], json.loads(r[1]), r[2]) for r in rows]

    def wait_samples(self, metric, since_ms=0, timeout=30):
        return wait_for(lambda: self.samples(metric, since_ms), timeout,
                        f"{metric} stored\n{tail(self.agent.log)}", interval=0.2)

    # --- Zabbix Java gateway -------------------------------------------------------------------

    @unittest.skipUnless(os.path.exists(GATEWAY_JAR) and os.path.exists(JAVAC),
                         "zabbix-java-gateway or JDK 17 not installed")
    def test_zabbix_gateway_thread_count_and_heap(self):
        src = os.path.join(self.dir, "jvm")
        os.makedirs(src)
        with open(os.path.join(src, "JmxTarget.java"), "w") as f:
            f.write(TARGET_JAVA)
        subprocess.run([JAVAC, "-d", src, os.path.join(src, "JmxTarget.java")], check=True,
                       timeout=60)

        jmx_port = free_port()
        jvm = subprocess.Popen(
            [JAVA, f"-Dcom.sun.management.jmxremote.port={jmx_port}",
             f"-Dcom.sun.management.jmxremote.rmi.port={jmx_port}",
             "-Dcom.sun.management.jmxremote.authenticate=false",
             "-Dcom.sun.management.jmxremote.ssl=false",
             "-Dcom.sun.management.jmxremote.host=127.0.0.1",
             "-Djava.rmi.server.hostname=127.0.0.1", "-Xmx64m",
             "-cp", src, "JmxTarget", str(EXTRA_THREADS)],
            stdout=subprocess.PIPE, text=True)
        self.procs.append(jvm)
        self.files.append(jvm.stdout)
        counts = []  # (epoch ms, ThreadMXBean count) as printed by the JVM

        def read_counts():
            for line in jvm.stdout:
                ts, n = line.split()
                counts.append((int(ts), int(n)))
        threading.Thread(target=read_counts, daemon=True).start()

        gw_port = free_low_port()
        gw_log = os.path.join(self.dir, "gateway.log")
        gw_out = os.path.join(self.dir, "gateway.out")
        logback = os.path.join(self.dir, "gateway.logback.xml")
        with open(logback, "w") as f:
            f.write(GATEWAY_LOGBACK.format(log=gw_log))
        self.files.append(open(gw_out, "w"))
        gateway = subprocess.Popen(
            [JAVA, "-server", f"-Dzabbix.pidFile={self.dir}/gateway.pid",
             "-Dzabbix.listenIP=127.0.0.1", f"-Dzabbix.listenPort={gw_port}",
             "-Dzabbix.startPollers=2", "-Dzabbix.timeout=3",
             "-Dsun.rmi.transport.tcp.responseTimeout=3000",
             f"-Dlogback.configurationFile={logback}", "-Djava.library.path=/usr/lib/jni",
             "-jar", GATEWAY_JAR],
            stdout=self.files[-1], stderr=subprocess.STDOUT)
        self.procs.append(gateway)
        wait_for(lambda: port_open(jmx_port), 20, "JVM JMX remote port")

        def gateway_listening():
            if gateway.poll() is not None:
                raise AssertionError(f"java gateway exited {gateway.returncode}\n{tail(gw_log)}")
            return port_open(gw_port)
        wait_for(gateway_listening, 20,
                 f"java gateway listening\n{tail(gw_out)}\n{tail(gw_log)}")

        self.start_agent(f"""      - name: batch-jvm
        transport: zabbix_gateway
        gateway: 127.0.0.1:{gw_port}
        host: 127.0.0.1
        port: {jmx_port}
""")
        # The third gather onwards: RMI connection threads of earlier gathers have settled.
        threads = wait_for(lambda: len(self.samples("jmx.threads.count")) >= 3 and
                           self.samples("jmx.threads.count"), 40,
                           f"3 jmx.threads.count samples\n{tail(self.agent.log)}\n{tail(gw_log)}",
                           interval=0.2)
        for ts, labels, value in threads[2:]:
            self.assertEqual(labels.get("target"), "batch-jvm")
            jvm_ts, jvm_count = min(counts, key=lambda c: abs(c[0] - ts))
            print(f"ThreadCount via gateway {value:.0f}, JVM's own count {jvm_count} "
                  f"({jvm_ts - ts:+d} ms)")
            self.assertGreaterEqual(jvm_count, EXTRA_THREADS)
            self.assertLessEqual(abs(value - jvm_count), 2,
                                 f"gateway ThreadCount {value} vs JVM {jvm_count}")
        heap = self.wait_samples("jmx.heap.used")
        print(f"heap used {heap[-1][2]:.0f} bytes")
        self.assertGreater(heap[-1][2], 0)
        up = self.wait_samples("jmx.target.up")
        self.assertEqual(up[-1][2], 1)

    # --- Tomcat JMXProxyServlet -----------------------------------------------------------------

    @unittest.skipUnless(os.path.exists(os.path.join(CATALINA_HOME, "bin", "catalina.sh")) and
                         os.path.isdir(MANAGER_APP) and os.path.exists(JAVA),
                         "tomcat10, tomcat10-admin or JDK 17 not installed")
    def test_tomcat_jmxproxy_request_count_grows(self):
        base = os.path.join(self.dir, "catalina-base")
        for d in ("conf/Catalina/localhost", "logs", "temp", "work", "webapps/ROOT"):
            os.makedirs(os.path.join(base, d))
        for name in ("web.xml", "context.xml", "catalina.properties"):
            shutil.copy(os.path.join(TOMCAT_CONF, name), os.path.join(base, "conf", name))
        # The agent reads through one connector, the test's requests go to the other: the
        # second connector's requestCount must grow by exactly the requests made.
        manager_port, app_port = free_port(), free_port()
        user, password = "beacon", "pw-" + os.urandom(9).hex()
        with open(os.path.join(base, "conf", "server.xml"), "w") as f:
            f.write(SERVER_XML.format(manager_port=manager_port, app_port=app_port))
        with open(os.path.join(base, "conf", "tomcat-users.xml"), "w") as f:
            f.write(TOMCAT_USERS.format(user=user, password=password))
        with open(os.path.join(base, "conf", "Catalina", "localhost", "manager.xml"), "w") as f:
            f.write(MANAGER_CONTEXT)
        with open(os.path.join(base, "webapps", "ROOT", "index.html"), "w") as f:
            f.write("<html><body>beacon</body></html>\n")
        password_file = os.path.join(self.dir, "tomcat.password")
        with open(password_file, "w") as f:
            f.write(password + "\n")
        os.chmod(password_file, 0o600)

        env = dict(os.environ, JAVA_HOME=JAVA_HOME, CATALINA_HOME=CATALINA_HOME,
                   CATALINA_BASE=base, CATALINA_TMPDIR=os.path.join(base, "temp"),
                   CATALINA_OPTS="-Xmx128m")
        env.pop("JAVA_OPTS", None)
        out_path = os.path.join(base, "logs", "catalina.out")
        with open(out_path, "w") as out:
            tomcat = subprocess.Popen([os.path.join(CATALINA_HOME, "bin", "catalina.sh"), "run"],
                                      env=env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(tomcat)
        root = f"http://127.0.0.1:{manager_port}"
        app = f"http://127.0.0.1:{app_port}"

        def answers():
            if tomcat.poll() is not None:
                raise AssertionError(f"tomcat exited {tomcat.returncode}\n{tail(out_path)}")
            try:
                with urllib.request.urlopen(app + "/", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(answers, 60, f"tomcat answering on {app}\n{tail(out_path)}", interval=0.2)

        self.start_agent(f"""      - name: tomcat-manager
        transport: jmxproxy
        url: {root}/manager/jmxproxy
        username: {user}
        password_file: {password_file}
""")

        def app_counts(since_ms=0):
            connector = f"http-nio-127.0.0.1-{app_port}"
            samples = self.samples("jmx.requests.count", since_ms)
            return [(ts, value) for ts, labels, value in samples
                    if labels.get("connector") == connector]
        before = wait_for(app_counts, 30, f"requestCount of connector {app_port}\n"
                          f"{self.samples('jmx.requests.count')}\n{tail(self.agent.log)}",
                          interval=0.2)
        before_ts, before_count = before[-1]
        self.assertTrue(all(labels.get("target") == "tomcat-manager"
                            for _, labels, _ in self.samples("jmx.requests.count")))
        requests = 25
        for _ in range(requests):
            with urllib.request.urlopen(app + "/", timeout=5) as r:
                self.assertEqual(r.status, 200)
        after = wait_for(lambda: [v for _, v in app_counts(before_ts + 1)
                                  if v >= before_count + requests], 30,
                         f"requestCount >= {before_count + requests}\n{app_counts()}",
                         interval=0.2)
        print(f"requestCount before {before_count:.0f}, after {after[0]:.0f} "
              f"({requests} requests made)")
        self.assertEqual(after[0], before_count + requests)
        heap = self.wait_samples("jmx.heap.used")
        print(f"heap used {heap[-1][2]:.0f} bytes")
        self.assertGreater(heap[-1][2], 0)
        threads = self.wait_samples("jmx.threads.count")
        self.assertGreater(threads[-1][2], 5)
        with open(self.agent.log, errors="replace") as f:
            self.assertNotIn(password, f.read())


if __name__ == "__main__":
    unittest.main()
