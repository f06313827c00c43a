"""Reproducible backup benchmark data (seeded, so every run and every tool sees the same bytes).

  gendata.py log PATH BYTES     a Tomcat/Spring-style application log (access lines, INFO/WARN
                                lines, and Java stack traces) of exactly BYTES bytes
  gendata.py tree ROOT FILES    FILES small text files (configs, properties, short logs;
                                200 B - 32 KiB, log-uniform) spread over 100 directories
"""
import os
import random
import sys

LEVELS = ["INFO"] * 14 + ["DEBUG"] * 4 + ["WARN"] * 2 + ["ERROR"]
LOGGERS = ["o.a.c.c.C.[Tomcat].[localhost].[/]", "c.f.payment.api.OrderController",
           "c.f.payment.service.SettlementService", "o.s.web.servlet.DispatcherServlet",
           "c.zaxxer.hikari.pool.HikariPool", "c.f.risk.engine.RuleEvaluator",
           "o.a.kafka.clients.producer.KafkaProducer", "c.f.gateway.filter.AuthFilter"]
MESSAGES = ["Completed initialization in {n} ms", "order {id} accepted amount={amt} CNY",
            "settlement batch {id} flushed {n} records", "HikariPool-1 - connection is not available,"
            " request timed out after {n}ms", "rule R{n} matched for account {id}",
            "token refreshed for client app-{n}", "GET /api/v1/orders/{id} 200 {n}ms",
            "retrying call to risk-engine ({n}/3)", "cache miss for key user:{id}"]
FRAMES = ["at c.f.payment.service.SettlementService.flush(SettlementService.java:{n})",
          "at c.f.payment.api.OrderController.create(OrderController.java:{n})",
          "at o.s.web.servlet.FrameworkServlet.service(FrameworkServlet.java:{n})",
          "at javax.servlet.http.HttpServlet.service(HttpServlet.java:{n})",
          "at o.a.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:{n})",
          "at java.base/java.lang.Thread.run(Thread.java:{n})"]


def log_lines(rng):
    t = 1764115200  # 2025-11-26T00:00:00Z
    ms = 0
    while True:
        ms += rng.randint(0, 40)
        if ms >= 1000:
            t += ms // 1000
            ms %= 1000
        hh, mm, ss = (t // 3600) % 24, (t // 60) % 60, t % 60
        if rng.random() < 0.35:
            yield (f'10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)} - - '
                   f'[26/Nov/2025:{hh:02d}:{mm:02d}:{ss:02d} +0800] "GET /api/v1/orders/'
                   f'{rng.randint(10**7, 10**8)} HTTP/1.1" {rng.choice([200] * 9 + [404, 500])} '
                   f'{rng.randint(200, 9000)} {rng.randint(1, 900)}\n')
            continue
        level = rng.choice(LEVELS)
        msg = rng.choice(MESSAGES).format(n=rng.randint(1, 5000), id=rng.randint(10**7, 10**9),
                                          amt=f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}")
        yield (f"2025-11-26 {hh:02d}:{mm:02d}:{ss:02d}.{ms:03d} {level:5} {rng.randint(1000, 9999)}"
               f" --- [nio-8080-exec-{rng.randint(1, 200)}] {rng.choice(LOGGERS):40} : {msg}\n")
        if level == "ERROR":
            yield "java.sql.SQLTransientConnectionException: HikariPool-1 - timed out\n"
            for _ in range(rng.randint(4, 12)):
                yield "\t" + rng.choice(FRAMES).format(n=rng.randint(20, 900)) + "\n"


def write_log(path, size):
    rng = random.Random(20251126)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    written = 0
    with open(path, "w") as f:
        buf = []
        for line in log_lines(rng):
            if written + len(line) > size:
                break
            buf.append(line)
            written += len(line)
            if len(buf) >= 4096:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
        f.write("x" * (size - written))


def write_tree(root, files):
    rng = random.Random(10000)
    lines = log_lines(random.Random(7))
    for i in range(files):
        d = os.path.join(root, f"app{i % 100:02d}", "conf" if i % 3 else "logs")
        os.makedirs(d, exist_ok=True)
        size = int(2 ** rng.uniform(7.6, 15))
        name = f"{'service' if i % 3 else 'app'}-{i:05d}.{'properties' if i % 3 else 'log'}"
        with open(os.path.join(d, name), "w") as f:
            n = 0
            while n < size:
                if i % 3:
                    line = f"app{i % 100}.setting.k{rng.randint(1, 400)}={rng.randint(1, 10**6)}\n"
                else:
                    line = next(lines)
                f.write(line)
                n += len(line)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("log", "tree"):
        sys.exit(__doc__)
    if sys.argv[1] == "log":
        write_log(sys.argv[2], int(sys.argv[3]))
    else:
        write_tree(sys.argv[2], int(sys.argv[3]))
