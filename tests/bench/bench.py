#!/usr/bin/python3
"""Interleaved pair timing for tests/bench/run.sh (standard library only).

  bench.py pair RESULTS --case NAME --runs N --target T --ptagent CMD --peer CMD [--note TEXT]
  bench.py table RESULTS [--markdown]

A CMD is one or more commands separated by ' ;; ', each split like a shell word list, with optional
leading VAR=value assignments and an optional '< FILE' for stdin, e.g.
  "PTAGENT_ROOT=/tmp/h hook dom prepare begin - < d.xml ;; PTAGENT_ROOT=/tmp/h hook dom release end - < d.xml"
The commands of one CMD run one after another and count as one sample (their times add up).

Each round runs the ptagent command, then the peer (A, B, A, B, ...), after untimed warm-up rounds
(--warmup, default 1). Every process is started with posix_spawn and reaped with wait4: the wall
time covers exec, dynamic loading and exit. Peak memory comes from separate, untimed runs under
GNU time (--mem-runs, default 3; its %M is the child's maximum resident set size, for a shell loop
the largest process of the tree): a child spawned by Python itself would report Python's own
resident size, which the kernel counts until exec. stdout goes to /dev/null; a non-zero exit stops
the benchmark.
Targets: "ratio<=X" (median ptagent / median peer), "mem<X" (ptagent peak RSS, MiB), "report".
"""
import json
import os
import re
import shlex
import statistics
import sys
import tempfile
import time

ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def parse_cmd(spec):
    steps = []
    for chunk in spec.split(" ;; "):
        toks = shlex.split(chunk)
        env = {}
        while toks and ASSIGN.match(toks[0]):
            k, v = toks.pop(0).split("=", 1)
            env[k] = v
        stdin = "/dev/null"
        if "<" in toks:
            i = toks.index("<")
            stdin = toks[i + 1]
            del toks[i:i + 2]
        if not toks:
            sys.exit(f"bench.py: empty command in {spec!r}")
        steps.append((toks, env, stdin))
    return steps


def run_once(steps, errfile, memfile=None, outfile="/dev/null"):
    """Returns (seconds per step, peak RSS in KiB over the steps when memfile is given)."""
    times, rss = [], 0
    for argv, env, stdin in steps:
        if memfile:
            argv = ["/usr/bin/time", "-f", "%M", "-o", memfile] + argv
        full_env = dict(os.environ)
        full_env.update(env)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, outfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        ]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, full_env, file_actions=actions)
        _, status, _ = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            with open(errfile, errors="replace") as f:
                err = f.read()[-2000:]
            sys.exit(f"bench.py: {shlex.join(argv)} exited {code}:\n{err}")
        times.append((t1 - t0) / 1e9)
        if memfile:
            with open(memfile) as f:
                rss = max(rss, int(f.read().split()[-1]))
    return times, rss


def cmd_pair(args):
    import argparse
    p = argparse.ArgumentParser(prog="bench.py pair")
    p.add_argument("results")
    p.add_argument("--case", required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--ptagent", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--peer-name", default="")
    p.add_argument("--note", default="")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--mem-runs", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=0,
                   help="start no round that would end past this many seconds (at least one round)")
    p.add_argument("--time-wrap", action="store_true",
                   help="for slow commands: take peak memory from GNU time around the timed runs "
                        "(adds well under 1 ms per run) instead of separate runs")
    p.add_argument("--keep-stdout", default="",
                   help="write the stdout of each run to DIR/ptagent.out and DIR/peer.out")
    a = p.parse_args(args)
    sides = {"ptagent": parse_cmd(a.ptagent), "peer": parse_cmd(a.peer)}
    samples = {k: [] for k in sides}
    steps = {k: [] for k in sides}
    rss = {k: 0 for k in sides}
    fd, errfile = tempfile.mkstemp(prefix="bench-stderr-")
    os.close(fd)
    fd, memfile = tempfile.mkstemp(prefix="bench-rss-")
    os.close(fd)
    out = {k: os.path.join(a.keep_stdout, k + ".out") if a.keep_stdout else "/dev/null" for k in sides}
    start = time.monotonic()
    try:
        for _ in range(a.warmup):  # page cache, dynamic loader
            for k in ("ptagent", "peer"):
                run_once(sides[k], errfile)
        for _ in range(a.runs):
            round_start = time.monotonic()
            for k in ("ptagent", "peer"):
                t, r = run_once(sides[k], errfile, memfile if a.time_wrap else None, out[k])
                samples[k].append(sum(t))
                steps[k].append(t)
                rss[k] = max(rss[k], r)
            now = time.monotonic()
            if a.max_seconds and now + (now - round_start) - start > a.max_seconds:
                break  # the next round would end past the budget
        for _ in range(0 if a.time_wrap else a.mem_runs):
            for k in ("ptagent", "peer"):
                _, r = run_once(sides[k], errfile, memfile)
                rss[k] = max(rss[k], r)
    finally:
        os.unlink(errfile)
        os.unlink(memfile)
    row = {
        "case": a.case,
        "runs": len(samples["ptagent"]),
        "target": a.target,
        "peer_name": a.peer_name,
        "note": a.note,
        "ptagent_cmd": a.ptagent,
        "peer_cmd": a.peer,
    }
    for k in sides:
        row[k + "_median"] = statistics.median(samples[k])
        row[k + "_min"] = min(samples[k])
        row[k + "_max"] = max(samples[k])
        row[k + "_rss_kib"] = rss[k]
        if len(sides[k]) > 1:  # per-step medians of a sequence
            row[k + "_steps"] = [statistics.median(s[i] for s in steps[k]) for i in range(len(sides[k]))]
    with open(a.results, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"  {a.case}: ptagent {fmt_time(row['ptagent_median'])}, peer {fmt_time(row['peer_median'])} "
          f"({row['runs']} interleaved runs each)", file=sys.stderr)


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.01:
        return f"{s * 1e3:.0f} ms"
    return f"{s * 1e3:.2f} ms"


def verdict(row):
    t = row["target"]
    ratio = row["ptagent_median"] / row["peer_median"]
    m = re.fullmatch(r"ratio<=([0-9.]+)", t)
    if m:
        return f"≤ {m.group(1)}", "yes" if ratio <= float(m.group(1)) else "NO"
    m = re.fullmatch(r"mem<([0-9.]+)", t)
    if m:
        mib = row["ptagent_rss_kib"] / 1024
        return f"peak < {m.group(1)} MiB", "yes" if mib < float(m.group(1)) else "NO"
    return "report", "–"


def cmd_table(args):
    markdown = "--markdown" in args
    path = [a for a in args if not a.startswith("--")][0]
    rows = [json.loads(line) for line in open(path)]
    head = ["case", "peer", "runs", "ptagent median", "peer median", "ratio ptagent/peer", "ptagent peak RSS",
            "peer peak RSS", "target", "met?"]
    table = []
    for r in rows:
        target, met = verdict(r)
        table.append([r["case"], r["peer_name"], str(r["runs"]), fmt_time(r["ptagent_median"]), fmt_time(r["peer_median"]),
                      f"{r['ptagent_median'] / r['peer_median']:.3f}",
                      f"{r['ptagent_rss_kib'] / 1024:.1f} MiB", f"{r['peer_rss_kib'] / 1024:.1f} MiB",
                      target, met])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" if i < 2 else "---:" for i in range(len(head))) + "|")
        for t in table:
            print("| " + " | ".join(t) + " |")
    else:
        widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        print("  ".join("-" * w for w in widths))
        for t in table:
            print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(t, widths))))
    notes = [r for r in rows if r.get("note") or r.get("ptagent_steps")]
    if notes:
        print()
        for r in notes:
            line = f"- {r['case']}:"
            for k in ("ptagent", "peer"):
                if r.get(k + "_steps"):
                    line += f" {k} per step " + ", ".join(fmt_time(s) for s in r[k + "_steps"]) + ";"
            if r.get("note"):
                line += " " + r["note"]
            print(line)


def cmd_growth(args):
    """bench.py growth RESULTS SMALL-CASE LARGE-CASE: how each side grows between two cases."""
    path, small, large = args
    rows = {json.loads(line)["case"]: json.loads(line) for line in open(path)}
    s, l = rows[small], rows[large]
    return (f"{small} -> {large}: ptagent x{l['ptagent_median'] / s['ptagent_median']:.1f} "
            f"({fmt_time(s['ptagent_median'])} -> {fmt_time(l['ptagent_median'])}), "
            f"peer x{l['peer_median'] / s['peer_median']:.1f} "
            f"({fmt_time(s['peer_median'])} -> {fmt_time(l['peer_median'])})")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "pair":
        cmd_pair(rest)
    elif cmd == "table":
        cmd_table(rest)
    elif cmd == "growth":
        print(cmd_growth(rest))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
