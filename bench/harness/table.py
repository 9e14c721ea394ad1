"""The run's tables: every load (server CPU per request first), the targets with their
verdicts, and start-up and memory. Every ratio is between figures taken in the same run."""

import datetime
import os
import subprocess

from .loads import CHECKS
from .servers import ROOT

# The targets. CPU per request is the headline: with the load generator on the same two cores,
# a req/s ratio mostly measures the load generator.
TARGETS = {
    "cpu_json": 1.2,  # JSON Get at 64 connections: mock CPU/request at most 1.2x the floor's
    "cpu_binary": 1.05,  # binary Get: at most 1.05x the mock's own JSON Get
    "cpu_grpc": 1.3,  # gRPC Get, 4 connections x 16 streams: at most 1.3x the h2 floor's
    "p99": 1.5,  # each protocol: mock p99 within 1.5x its floor's
    "prism": 30.0,  # JSON Get at 64 connections: at least 30x Prism's req/s (issue 5)
    "invalid": 1.0,  # CPU per invalid request at most that of a valid one
    "start_ms": 50.0,  # start to first 200
    "rss_mb": 30.0,  # peak RSS with the default fixtures
    "rss_100k_mb": 200.0,  # RSS with 100,000 generated records
    "page": 2.0,  # page 1000 p50 within 2x page 1's
    "generic": 0.9,  # a generic Get (--contract) at least 0.9x a built-in Get's req/s
    "watch": 1.05,  # --watch: CPU per request at most 1.05x --no-watch's
    "start_whole_ms": 200.0,  # the whole Gitpod API (--contract): start to first 200
    "rss_whole_mb": 60.0,  # and its peak RSS
}


def describe(profile, tools, r):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    others = (f"{r['others_cpu_s']:.0f} CPU-seconds, {r['others_share']:.0%} of the cores' time"
              if r["others_cpu_s"] >= 10 else "less than 10 CPU-seconds")
    load, end = (" / ".join(f"{x:.2f}" for x in r[key]) for key in ("loadavg", "loadavg_end"))
    lines = [
        f"# bench/run{' --smoke' if profile.smoke else ''}:"
        f" {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB memory;"
        " the load generator shares the cores.",
        f"- How quiet the machine was: load average (1 / 5 / 15 min) {load} before the run and"
        f" {end} at its end (its own two busy processes raise it towards 2); other processes"
        f" used {others} during it (tick accounting is good to about 10 CPU-seconds a run).",
        f"- Commit {commit or 'unknown'}, {profile.profile} build; {tools['wrk']} and"
        f" {tools['h2load']}, one thread each; Prism {tools['prism']} ({tools['spec']}).",
        f"- Loads: {profile.rounds} round(s) of {profile.round_seconds} s per server, each after"
        f" {profile.warmup} s of warm-up; servers compared on a load take turns (A B, then B A)."
        " CPU is the server's user+system time per request; latencies in ms.",
        f"- Whole run: {r['elapsed']:.0f} s.",
    ]
    if profile.smoke:
        lines.append("- Smoke mode: these numbers are noise; only the harness is being checked.")
    return "\n".join(lines) + "\n"


def ms(us):
    return f"{us / 1000:.2f}"


def times(x):
    """A ratio as a multiple: one decimal below 100, so a ratio near a target shows which side
    it is on."""
    return f"{x:.2f}×" if x < 10 else (f"{x:.1f}×" if x < 100 else f"{x:.0f}×")


def markdown(head, rows):
    widths = [max(len(row[i]) for row in rows + [head]) for i in range(len(head))]
    fmt = lambda row: "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |"
    return "\n".join([fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [fmt(row) for row in rows])


def answers(f, expect):
    if "statuses" in f:
        s = f["statuses"]
        # h2load counts a status when the headers arrive, so a stream cut at the deadline can
        # add a 2xx without a finished request: "all" means no other status and no error.
        if not (s["3xx"] or s["4xx"] or s["5xx"] or f["socket_errors"]):
            return f"all 2xx ({s['2xx']:,}, h2load)"
        return (f"2xx {s['2xx']:,}, 3xx {s['3xx']:,}, 4xx {s['4xx']:,}, 5xx {s['5xx']:,},"
                f" {f['socket_errors']:,} stream errors (h2load)")
    wrong = f["requests"] - f["status_errors"] if expect == "error" else f["status_errors"]
    if not wrong and not f["socket_errors"]:
        return "all ≥ 400, as sent" if expect == "error" else "all < 400"
    return f"{wrong:,} unexpected, {f['socket_errors']:,} socket errors"


def load_rows(r):
    rows = []
    for label, key, expect in r["loads"]:
        by_server = r[key]
        floor = next((f for name, f in by_server.items() if name.startswith("floor")), None)
        for i, (name, f) in enumerate(by_server.items()):
            vs = lambda k: times(f[k] / max(floor[k], 1e-9)) if floor and f is not floor else ""
            rows.append([
                label if i == 0 else "", name,
                f"{f['cpu_us_per_req']:.1f} ({f['user_us_per_req']:.1f} + {f['sys_us_per_req']:.1f})",
                vs("cpu_us_per_req"),
                f"{f['rps']:,.0f}", f"{ms(f['p50_us'])} / {ms(f['p99_us'])} / {ms(f['p999_us'])}",
                vs("p99_us"), answers(f, expect),
            ])
    head = ["load", "server", "CPU µs/req (user + sys)", "CPU vs floor", "req/s", "p50 / p99 / p99.9 ms",
            "p99 vs floor", "answers"]
    return markdown(head, rows)


def target_rows(profile, r):
    c = profile.main_connections
    rows = []

    def judge(name, figure, target, ok):
        rows.append([name, figure, target, "–" if profile.smoke else ("met" if ok else "**missed**")])

    def cpu(f):
        return f["cpu_us_per_req"]

    json_get, binary, grpc = r[f"json_c{c}"], r["binary"], r["grpc"]

    def cpu_target(name, key, mine, theirs):
        """A CPU ratio, judged on user+system time; the user-time ratio beside it leaves out
        the kernel's share, which is alike for both and moves between runs."""
        ratio, user = cpu(mine) / cpu(theirs), mine["user_us_per_req"] / theirs["user_us_per_req"]
        figure = f"{times(ratio)} ({cpu(mine):.1f} ÷ {cpu(theirs):.1f} µs); user time {times(user)}"
        judge(name, figure, f"≤ {TARGETS[key]}×", ratio <= TARGETS[key])

    cpu_target(f"JSON Get, {c} conn: mock CPU/req ÷ floor's", "cpu_json",
               json_get["gitpod-mock"], json_get["floor"])
    cpu_target(f"Binary Get, {c} conn: mock CPU/req ÷ mock JSON Get's", "cpu_binary",
               binary["gitpod-mock"], json_get["gitpod-mock"])
    cpu_target(f"gRPC Get, {r['grpc_shape']}: mock CPU/req ÷ h2 floor's", "cpu_grpc",
               grpc["gitpod-mock"], grpc["floor --h2"])
    for name, by_server in (("JSON Get", json_get), ("Binary Get", binary), ("gRPC Get", grpc)):
        floor = next(f for n, f in by_server.items() if n.startswith("floor"))
        mock = by_server["gitpod-mock"]
        ratio = mock["p99_us"] / max(floor["p99_us"], 1)
        judge(f"{name}: mock p99 ÷ floor's", f"{times(ratio)} ({ms(mock['p99_us'])} ÷ {ms(floor['p99_us'])} ms)",
              f"≤ {TARGETS['p99']}×", ratio <= TARGETS["p99"])
    ratio = json_get["gitpod-mock"]["rps"] / json_get["Prism"]["rps"]
    judge(f"JSON Get, {c} conn: mock req/s ÷ Prism's", times(ratio), f"≥ {TARGETS['prism']:.0f}×",
          ratio >= TARGETS["prism"])
    invalid, valid = r["invalid"]["gitpod-mock"], json_get["gitpod-mock"]
    ratio = cpu(invalid) / cpu(valid)
    judge(f"Invalid JSON Get (400), {c} conn: CPU/req ÷ valid Get's",
          f"{ratio:.2f} ({cpu(invalid):.1f} ÷ {cpu(valid):.1f} µs)", f"≤ {TARGETS['invalid']:.1f}",
          ratio <= TARGETS["invalid"])
    judge("Start to first 200", f"{r['start_mock']:.1f} ms", f"< {TARGETS['start_ms']:.0f} ms",
          r["start_mock"] < TARGETS["start_ms"])
    rss = r["rss_mock"] / 1024
    judge("Peak RSS, default fixtures", f"{rss:.1f} MB", f"< {TARGETS['rss_mb']:.0f} MB", rss < TARGETS["rss_mb"])
    n = f"{profile.generate:,}"
    rss = max(r["rss_big"], r["rss_big_after"]) / 1024
    judge(f"RSS with {n} generated environment classes", f"{rss:.0f} MB",
          f"< {TARGETS['rss_100k_mb']:.0f} MB", rss < TARGETS["rss_100k_mb"])
    p1, pn = r["page1"]["gitpod-mock"], r["pageN"]["gitpod-mock"]
    ratio = pn["p50_us"] / max(p1["p50_us"], 1)
    judge(f"List page {r['late_page']} p50 ÷ page 1's", f"{ratio:.2f}", f"≤ {TARGETS['page']:.0f}",
          ratio <= TARGETS["page"])
    builtin, generic = r["generic"]["gitpod-mock"], r["generic"]["--contract library"]
    ratio = generic["rps"] / max(builtin["rps"], 1e-9)
    judge(f"Generic Get (--contract), {c} conn: req/s ÷ built-in Get's",
          f"{times(ratio)} ({generic['rps']:,.0f} ÷ {builtin['rps']:,.0f}); CPU/req"
          f" {times(cpu(generic) / cpu(builtin))}", f"≥ {TARGETS['generic']}×", ratio >= TARGETS["generic"])
    watch = r["watch"]
    off, on, heard = watch["--no-watch"], watch["--watch"], watch["--watch + live feed"]
    ratio = cpu(on) / cpu(off)
    judge(f"--watch, {c} conn: CPU/req ÷ --no-watch's", f"{times(ratio)} ({cpu(on):.1f} ÷ {cpu(off):.1f} µs);"
          f" with a live feed open {times(cpu(heard) / cpu(off))} ({r['feed_bytes']:,} bytes of events read)",
          f"≤ {TARGETS['watch']}×", ratio <= TARGETS["watch"])
    if r["whole_api"]:
        judge("Whole Gitpod API (--contract, 300 methods): start to first 200",
              f"{r['start_whole']:.1f} ms", f"< {TARGETS['start_whole_ms']:.0f} ms",
              r["start_whole"] < TARGETS["start_whole_ms"])
        rss = r["rss_whole"] / 1024
        judge("Whole Gitpod API: peak RSS", f"{rss:.1f} MB", f"< {TARGETS['rss_whole_mb']:.0f} MB",
              rss < TARGETS["rss_whole_mb"])
    return markdown(["target", "figure (same run)", "target", "verdict"], rows)


def other_rows(profile, r):
    mb = lambda kb: kb / 1024
    n = f"{profile.generate:,}"
    rows = [
        [f"Start to first 200, ms (median of {profile.start_repeats})", f"{r['start_floor']:.1f}",
         f"{r['start_mock']:.1f}", f"{r['start_prism']:.0f}"],
        [f"Start to first 200 with {n} generated, ms", "", f"{r['start_big']:.0f}", ""],
        ["Peak RSS (VmHWM) after the Get and invalid loads, MB",
         f"{mb(r['rss_floor']):.1f} (--h2 {mb(r['rss_floor_h2']):.1f})", f"{mb(r['rss_mock']):.1f}",
         f"{mb(r['rss_prism']):.0f}"],
        ["Peak RSS after the mixed load too, MB", "", f"{mb(r['rss_mock_mixed']):.1f}", ""],
        [f"RSS with {n} generated environment classes, MB: at start / after the List loads (peak)", "",
         f"{mb(r['rss_big']):.0f} / {mb(r['rss_big_after']):.0f} ({mb(r['rss_big_peak']):.0f})", ""],
        [f"Peak RSS with {n} generated records of every resource ({3 * profile.generate:,}), MB", "",
         f"{mb(r['rss_every']):.0f}", ""],
    ]
    return markdown(["figure", "floor", "gitpod-mock", "Prism"], rows)


def render(profile, r):
    notes = []
    for label, f, expect in CHECKS:
        wrong = f["requests"] - f["status_errors"] if expect == "error" else f["status_errors"]
        if wrong or f["socket_errors"]:
            notes.append(f"Note: {label}: {wrong} answers with an unexpected status,"
                         f" {f['socket_errors']} socket or stream errors, of {f['requests']}.")
    parts = [
        "## Loads", "", load_rows(r), "",
        f"gRPC answers: {r['grpc_checked']}", "",
        "## Targets", "", target_rows(profile, r), "",
        "## Start-up and memory", "", other_rows(profile, r),
    ]
    if notes:
        parts += [""] + notes
    return "\n".join(parts)
