"""The servers bench/run starts: each in its own process group with its output in a log, and
what /proc says about it (CPU time, memory). Every one is stopped when the run ends."""

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")
LOGS = os.path.join(RESULTS, "logs")

READY = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Server:
    """A server process of ours, in its own process group, with stdout and stderr in a log."""

    live = []

    def __init__(self, name, argv, port=None):
        self.name = name
        os.makedirs(LOGS, exist_ok=True)
        self.log_path = os.path.join(LOGS, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self.port = port
        Server.live.append(self)

    @classmethod
    def ready(cls, name, argv, timeout=60.0):
        server = cls(name, argv)
        server.wait_ready(timeout)
        return server

    def wait_ready(self, timeout=60.0):
        """Waits for the `listening on http://127.0.0.1:PORT` line and returns the port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as f:
                match = READY.search(ANSI.sub("", f.read()))
            if match:
                self.port = int(match.group(1))
                return self.port
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise SystemExit(f"bench: {self.name} did not get ready; see {self.log_path}")

    def pids(self):
        """This process and its descendants (Prism may fork), from /proc."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def memory_kb(self, field):
        """VmHWM (peak) or VmRSS (current) summed over the process tree, in kB."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith(field + ":"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def cpu_seconds(self):
        """(user, system) CPU time of the process tree, in seconds."""
        ticks = os.sysconf("SC_CLK_TCK")
        user = system = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                user, system = user + int(fields[11]), system + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return user / ticks, system / ticks

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.log.close()
        if self in Server.live:
            Server.live.remove(self)


def stop_all():
    for server in list(Server.live):
        server.stop()


def on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_ok(port, request, deadline):
    """Polls in a tight loop until `request` is answered 200 on `port`; returns the time."""
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.perf_counter()
        except OSError:
            pass
    raise SystemExit(f"bench: nothing answered 200 on port {port} in time")


def raw_get_root():
    return b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def raw_post(path, body):
    body = body.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def start_time_ms(name, argv_for_port, request, repeats):
    """Median wall time from spawn to the first 200, over `repeats` fresh processes."""
    times = []
    for i in range(repeats):
        port = free_port()
        server = Server(f"{name}-start{i}", argv_for_port(port), port)
        answered = first_ok(port, request, server.started + 60)
        times.append((answered - server.started) * 1000)
        server.stop()
    return statistics.median(times)
