"""Time-bounded loads and what they cost the server.

A load runs wrk (HTTP/1.1; a Lua script per workload) or h2load (HTTP/2; gRPC) on one thread,
so the load generator takes one core and the server the other. Around each run the harness
reads the server's user+system CPU time from /proc, so every load yields the server's CPU per
request, the figure the load generator sharing the cores disturbs least.

Servers compared on a load take turns: `alternate` runs each for a round, in the order
A B …, then … B A, so noise from the rest of the machine falls on all of them alike.
"""

import json
import math
import os
import re
import subprocess

from .servers import BENCH, LOGS

LUA = os.path.join(BENCH, "lua")
CHECKS = []  # (label, merged figures, what the answers should be: "ok" or "error")


class Wrk:
    """A wrk load: a Lua script from bench/lua with its environment, at `connections`."""

    def __init__(self, script, connections, env):
        self.script, self.connections, self.env = script, connections, env

    def run(self, server, seconds):
        argv = [
            "wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", os.path.join(LUA, self.script), f"http://127.0.0.1:{server.port}",
        ]
        env = dict(os.environ, BENCH_LUA=LUA, **self.env)
        cpu_before = server.cpu_seconds()
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
        cpu_user, cpu_sys = (b - a for a, b in zip(cpu_before, server.cpu_seconds()))
        match = re.search(r"^BENCH_JSON (\{.*\})$", out.stdout, re.M)
        if out.returncode != 0 or not match:
            raise SystemExit(f"bench: wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        w = json.loads(match.group(1))
        return {
            "requests": w["requests"],
            "duration_s": w["duration_us"] / 1e6,
            "cpu_user_s": cpu_user,
            "cpu_sys_s": cpu_sys,
            "p50_us": w["p50_us"],
            "p99_us": w["p99_us"],
            "p999_us": w["p999_us"],
            "status_errors": w["status_errors"],
            "socket_errors": sum(w[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")),
        }


class H2load:
    """An h2load load over h2c (prior knowledge): `clients` connections with `streams`
    concurrent streams each, every request a POST of the file `body` with `headers`."""

    def __init__(self, path, body, clients, streams, headers):
        self.path, self.body, self.clients, self.streams = path, body, clients, streams
        self.headers = headers

    def run(self, server, seconds):
        log = os.path.join(LOGS, f"h2load-{server.name}.tsv")
        argv = ["h2load", "-t1", f"-c{self.clients}", f"-m{self.streams}", "-D", str(seconds),
                "-d", self.body, "--log-file", log]
        for header in self.headers:
            argv += ["-H", header]
        argv.append(f"http://127.0.0.1:{server.port}{self.path}")
        cpu_before = server.cpu_seconds()
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        cpu_user, cpu_sys = (b - a for a, b in zip(cpu_before, server.cpu_seconds()))
        summary = parse_h2load(out.stdout)
        if out.returncode != 0 or summary is None:
            raise SystemExit(f"bench: h2load failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        latencies = []
        with open(log) as f:
            for line in f:
                fields = line.split("\t")
                if len(fields) >= 3 and fields[1] != "-1":
                    latencies.append(int(fields[2]))
        latencies.sort()
        statuses = summary["statuses"]
        return {
            "requests": summary["done"],
            "duration_s": summary["duration_s"],
            "cpu_user_s": cpu_user,
            "cpu_sys_s": cpu_sys,
            **percentiles(latencies),
            "latencies": latencies,
            "status_errors": statuses["4xx"] + statuses["5xx"],
            "socket_errors": summary["errored"] + summary["timeout"],
            "statuses": statuses,
        }


def parse_h2load(text):
    """h2load's summary: `finished in 5.00s, …`, `requests: …` and `status codes: …`."""
    finished = re.search(r"^finished in ([\d.]+)(s|ms|us)\b", text, re.M)
    requests = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                         r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    if not (finished and requests and codes):
        return None
    scale = {"s": 1, "ms": 1e-3, "us": 1e-6}[finished.group(2)]
    done, succeeded, failed, errored, timeout = (int(requests.group(i)) for i in range(3, 8))
    return {
        "duration_s": float(finished.group(1)) * scale,
        "done": done,
        "succeeded": succeeded,
        "failed": failed,
        "errored": errored,
        "timeout": timeout,
        "statuses": dict(zip(("2xx", "3xx", "4xx", "5xx"), (int(g) for g in codes.groups()))),
    }


def percentiles(sorted_us):
    """Nearest-rank p50, p99 and p99.9 of sorted latencies, in microseconds."""
    def rank(p):
        if not sorted_us:
            return 0
        return sorted_us[max(math.ceil(p / 100 * len(sorted_us)) - 1, 0)]

    return {"p50_us": rank(50), "p99_us": rank(99), "p999_us": rank(99.9)}


def merge(parts):
    """One load's rounds as one figure: counts and times add up. Latency percentiles are exact
    over every request when the rounds kept their latencies (h2load's log), else wrk's
    per-round percentiles weighted by each round's requests."""
    total = {k: sum(p[k] for p in parts)
             for k in ("requests", "duration_s", "cpu_user_s", "cpu_sys_s", "status_errors",
                       "socket_errors")}
    requests = max(total["requests"], 1)
    if all("latencies" in p for p in parts):
        total.update(percentiles(sorted(x for p in parts for x in p["latencies"])))
    else:
        for key in ("p50_us", "p99_us", "p999_us"):
            total[key] = sum(p[key] * p["requests"] for p in parts) / requests
    if all("statuses" in p for p in parts):
        total["statuses"] = {k: sum(p["statuses"][k] for p in parts) for k in parts[0]["statuses"]}
    total["rps"] = total["requests"] / max(total["duration_s"], 1e-9)
    total["cpu_us_per_req"] = (total["cpu_user_s"] + total["cpu_sys_s"]) * 1e6 / requests
    total["user_us_per_req"] = total["cpu_user_s"] * 1e6 / requests
    total["sys_us_per_req"] = total["cpu_sys_s"] * 1e6 / requests
    # Each round's own figure, so a disturbed round shows in latest.json.
    total["rounds_cpu_us_per_req"] = [
        round((p["cpu_user_s"] + p["cpu_sys_s"]) * 1e6 / max(p["requests"], 1), 2) for p in parts
    ]
    return total


def alternate(profile, label, contenders, expect="ok"):
    """Runs `contenders`, a list of (name, server, load), in turns: `profile.rounds` rounds of
    `profile.round_seconds` each, every round after `profile.warmup` s of unmeasured load, the
    order reversed every other round. Returns {name: merged figures}."""
    parts = {name: [] for name, _, _ in contenders}
    for i in range(profile.rounds):
        order = contenders if i % 2 == 0 else contenders[::-1]
        for name, server, load in order:
            if profile.warmup:
                load.run(server, profile.warmup)
            parts[name].append(load.run(server, profile.round_seconds))
    merged = {}
    for name, _, _ in contenders:
        figures = merge(parts[name])
        line = f"{name} {label}"
        print(
            f"  {line:<48} cpu {figures['cpu_us_per_req']:6.1f} us/req"
            f" (user {figures['user_us_per_req']:.1f}; rounds"
            f" {' '.join(f'{x:.1f}' for x in figures['rounds_cpu_us_per_req'])})"
            f"  {figures['rps']:>9,.0f} req/s  p50 {ms(figures['p50_us'])}"
            f"  p99 {ms(figures['p99_us'])}  p99.9 {ms(figures['p999_us'])} ms"
            f"  status>399 {figures['status_errors']}  socket errors {figures['socket_errors']}",
            flush=True,
        )
        CHECKS.append((line, figures, expect))
        merged[name] = figures
    return merged


def ms(us):
    return f"{us / 1000:.2f}"
