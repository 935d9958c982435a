#!/usr/bin/env python3
"""Summarizes a bench/run.sh results dir: one table per benchmark and the issue's targets.

Usage: python3 bench/summarize.py RESULTS_DIR
Reads what run.sh wrote there (decision.json and sibling_inprocess.json from Google Benchmark,
load_gen JSON lines, h2load text, scale.json) and prints plain text. Parts that did not run are left out. Standard library only.
"""
import json
import os
import re
import sys


def load_json(path):
    """The JSON document in `path` (Google Benchmark's file), or its last line (load_gen, scale)."""
    try:
        with open(path) as f:
            text = f.read().strip()
        if path.endswith("decision.json") or path.endswith("inprocess.json"):
            return json.loads(text)
        return json.loads(text.splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def run_named(report, name):
    for r in report["runs"]:
        if r["name"] == name:
            return r
    return report["runs"][-1]


VERDICTS = []


def verdict(target, value, limit, higher_is_better, unit, how):
    ok = value >= limit if higher_is_better else value <= limit
    if ok:
        text = "MET"
    elif limit == 0:
        text = "MISSED (%s vs %s)" % (fmt(value, unit), fmt(limit, unit))
    elif higher_is_better:
        text = "MISSED by %.1f%% (%s vs >= %s)" % (100.0 * (limit - value) / limit, fmt(value, unit), fmt(limit, unit))
    else:
        text = "MISSED by %.1f%% (%s vs <= %s)" % (100.0 * (value - limit) / limit, fmt(value, unit), fmt(limit, unit))
    VERDICTS.append((target, fmt(value, unit), text, how))


def paced_verdict(target, value, limit, late, how):
    """A paced comparison is only a measurement of the server if the client kept its schedule."""
    if late <= 0.01:
        verdict(target, value, limit, False, "x", how)
    else:
        VERDICTS.append((target, fmt(value, "x"),
                         "NOT MEASURABLE here: the client sent %.1f%% of requests > 1 ms late (it shares the 2 cores)" % (100 * late),
                         how))


def fmt(v, unit):
    if unit == "x":
        return "%.2fx" % v
    if unit == "ns":
        return "%.0f ns" % v
    if unit == "ms":
        return "%.1f ms" % v
    if unit == "s":
        return "%.2f s" % v
    if unit == "/s":
        return "%.0f/s" % v
    if unit == "B":
        return "%.0f B" % v
    return "%g %s" % (v, unit)


def decision(out):
    data = load_json(os.path.join(out, "decision.json"))
    if not data:
        return
    print("\n## In-process decision (Google Benchmark; kind 0 = allowed, 1 = denied, 2 = unknown)")
    print("%-62s %10s %10s %8s %8s %10s %10s" % ("benchmark", "real ns", "cpu ns", "allocs", "new", "rss B/tok", "heap B/tok"))
    medians_1m = []
    allocs_1m = []
    for b in data["benchmarks"]:
        name = b["name"]
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("run_type") == "iteration" and b.get("repetitions", 1) > 1:
            continue  # the median of the repetitions is shown instead
        print("%-62s %10.1f %10.1f %8.2f %8.2f %10.0f %10.0f" % (
            name, b["real_time"], b["cpu_time"], b.get("allocs_per_op", float("nan")),
            b.get("new_per_op", float("nan")), b.get("index_rss_bytes_per_token", float("nan")),
            b.get("index_heap_bytes_per_token", float("nan"))))
        if name.startswith("BM_Decision/tokens:1000000/") and name.endswith("_median"):
            medians_1m.append(b["real_time"])
            allocs_1m.append(b.get("allocs_per_op", 0))
        for counter in ("p50_ns", "p99_ns", "p999_ns", "clock_overhead_ns"):
            if counter in b:
                print("    %s=%.0f" % (counter, b[counter]), end="")
        if "p50_ns" in b:
            print()
    ctx = data.get("context", {})
    print("load average at start: %s" % " ".join("%.2f" % x for x in ctx.get("load_avg", [])))
    if medians_1m:
        verdict("in-process decision median at 1M tokens <= 1 us (worst shape)", max(medians_1m), 1000, False, "ns",
                "authorize_decision_bench BM_Decision/tokens:1000000/*")
        verdict("zero heap allocations per decision", max(allocs_1m), 0, False, "allocs/op",
                "authorize_decision_bench allocs_per_op")


def load(out):
    rows = []
    for c in (1, 8, 32):
        r = load_json(os.path.join(out, "load_c%d.json" % c))
        if r:
            rows.append((c, r))
    if not rows:
        return
    print("\n## gRPC Authorize, closed loop, mix 80:10:10 (null server and authd alternating, %d rounds)" % rows[0][1].get("rounds", 1))
    print("%4s %10s %10s %6s %-19s | %-26s | %-26s | %6s %6s | %s" % (
        "conc", "authd qps", "null qps", "ratio", " (rounds: med min-max)", "authd p50/p99/p99.9 us", "null p50/p99/p99.9 us", "p50 x", "p99 x", "load avg"))
    for c, r in rows:
        a, n = run_named(r, "authd"), run_named(r, "null")
        q = r["ratios"]
        print("%4d %10.0f %10.0f %6.3f  (%.2f %.2f-%.2f)    | %8.0f %8.0f %8.0f | %8.0f %8.0f %8.0f | %6.2f %6.2f | %s%s" % (
            c, a["qps"], n["qps"], q["qps"], q.get("qps_round_median", q["qps"]), q.get("qps_round_min", q["qps"]),
            q.get("qps_round_max", q["qps"]), a["p50_us"], a["p99_us"], a["p999_us"],
            n["p50_us"], n["p99_us"], n["p999_us"], q["p50"], q["p99"], r["load_avg_1m"],
            "" if a["errors"] == 0 and a["unexpected"] == 0 else "  errors=%d unexpected=%d" % (a["errors"], a["unexpected"])))
        verdict("Authorize QPS >= 0.9x null at concurrency %d" % c, r["ratios"]["qps"], 0.9, True, "x",
                "load_gen --concurrency=%d --baseline=NULL" % c)
    paced = {}
    for step in ("half", "quarter"):
        r = load_json(os.path.join(out, "%s.json" % step))
        if not r:
            continue
        a, n = run_named(r, "authd"), run_named(r, "null")
        late = max(a["late"] / max(a["requests"], 1), n["late"] / max(n["requests"], 1))
        paced[step] = (r, a, late)
        print("\npaced at %.0f/s (%s of the null server's max), 64 slots: authd p50/p99/p99.9 %.0f/%.0f/%.0f us, "
              "null %.0f/%.0f/%.0f us; p99 ratio %.2f; client late %.1f%% (load avg %s)" % (
                  r["rate"], step, a["p50_us"], a["p99_us"], a["p999_us"], n["p50_us"], n["p99_us"], n["p999_us"],
                  r["ratios"]["p99"], 100 * late, r["load_avg_1m"]))
    for step, target in (("half", "p99 at half max load <= 1.2x null's p99"),
                         ("quarter", "p99 at quarter max load <= 1.2x null's p99 (fallback)")):
        if step in paced:
            r, a, late = paced[step]
            paced_verdict(target, r["ratios"]["p99"], 1.2, late,
                          "load_gen --rate=%s --concurrency=64 --baseline=NULL" % step.upper())
    storm = load_json(os.path.join(out, "storm_authorize.json"))
    creates = load_json(os.path.join(out, "storm_create.json"))
    if storm and "quarter" in paced:
        s = storm["runs"][-1]
        idle = paced["quarter"][1]
        ratio = s["p99_us"] / idle["p99_us"] if idle["p99_us"] else 0
        print("during a create storm (%s creates/s) at %.0f/s: authd p50/p99/p99.9 %.0f/%.0f/%.0f us vs idle p99 %.0f us: %.2fx; "
              "client late %.1f%% (load avg %s)" % (
                  "%.0f" % creates["runs"][0]["qps"] if creates else "?", storm["rate"], s["p50_us"], s["p99_us"], s["p999_us"],
                  idle["p99_us"], ratio, 100.0 * s["late"] / max(s["requests"], 1), storm["load_avg_1m"]))
        late = max(s["late"] / max(s["requests"], 1), paced["quarter"][2])
        paced_verdict("Authorize p99 during a create storm <= 1.5x idle p99", ratio, 1.5, late,
                      "load_gen --rate=QUARTER while load_gen --rpc=create --concurrency=16 runs")


def sibling(out):
    rows = []
    for c in (1, 16, 64):
        r = load_json(os.path.join(out, "sibling_check_c%d.json" % c))
        if r:
            rows.append((c, r))
    one_header = load_json(os.path.join(out, "sibling_check1h_c16.json"))
    batch = load_json(os.path.join(out, "sibling_batch_c16.json"))
    if not rows and not batch:
        return
    if rows:
        print("\n## Envoy ext_authz Check vs Authorize on one authd (issue 15; same tokens, mix %s, %d alternating rounds)" % (
            rows[0][1]["mix"], rows[0][1].get("rounds", 1)))
        print("%4s %10s %10s %6s %-19s | %-26s | %-26s | %s" % (
            "conc", "check/s", "authz/s", "ratio", " (rounds: med min-max)", "check p50/p99/p99.9 us",
            "authorize p50/p99/p99.9 us", "load avg start-end"))
        for c, r in rows:
            ch, au = run_named(r, "check"), run_named(r, "authorize")
            q = r["ratios"]
            bad = sum(x["errors"] + x["unexpected"] for x in (ch, au))
            print("%4d %10.0f %10.0f %6.3f  (%.2f %.2f-%.2f)    | %8.0f %8.0f %8.0f | %8.0f %8.0f %8.0f | %s-%s%s" % (
                c, ch["qps"], au["qps"], q["qps"], q["qps_round_median"], q["qps_round_min"], q["qps_round_max"],
                ch["p50_us"], ch["p99_us"], ch["p999_us"], au["p50_us"], au["p99_us"], au["p999_us"],
                r["load_avg_1m"], r.get("load_avg_1m_end", "?"),
                "" if bad == 0 else "  errors/unexpected: check %d/%d authorize %d/%d" % (
                    ch["errors"], ch["unexpected"], au["errors"], au["unexpected"])))
            if "round_qps" in ch:
                print("      per round: check %s; authorize %s" % (
                    " ".join("%.0f" % x for x in ch["round_qps"]), " ".join("%.0f" % x for x in au["round_qps"])))
            verdict("Check QPS >= 0.9x Authorize, same authd, concurrency %d" % c, q["qps"], 0.9, True, "x",
                    "load_gen --rpc=check --baseline-rpc=authorize --concurrency=%d" % c)
    if one_header:
        ch, au = run_named(one_header, "check"), run_named(one_header, "authorize")
        q = one_header["ratios"]
        print("\nCheck with the authorization header only (Envoy allowed_headers), concurrency %d: %.0f vs Authorize %.0f req/s: "
              "%.3f (rounds: med %.2f, %.2f-%.2f); check p50/p99 %.0f/%.0f us; errors %d, unexpected %d (load avg %s-%s)" % (
                  one_header["concurrency"], ch["qps"], au["qps"], q["qps"], q["qps_round_median"], q["qps_round_min"],
                  q["qps_round_max"], ch["p50_us"], ch["p99_us"], ch["errors"] + au["errors"],
                  ch["unexpected"] + au["unexpected"], one_header["load_avg_1m"], one_header.get("load_avg_1m_end", "?")))
    null = load_json(os.path.join(out, "sibling_null_c16.json"))
    if null:
        ch, au = run_named(null, "check"), run_named(null, "authorize")
        q = null["ratios"]
        print("\nThe null server (no authd code, empty answers), concurrency %d: Check %.0f vs Authorize %.0f req/s: %.3f "
              "(rounds: med %.2f, %.2f-%.2f): the ceiling of Check/Authorize that gRPC and protobuf leave (load avg %s-%s)" % (
                  null["concurrency"], ch["qps"], au["qps"], q["qps"], q["qps_round_median"], q["qps_round_min"],
                  q["qps_round_max"], null["load_avg_1m"], null.get("load_avg_1m_end", "?")))
    if batch:
        b, au = run_named(batch, "batch"), run_named(batch, "authorize")
        q = batch["ratios"]
        print("\nBatchAuthorize of %d at concurrency %d: %.0f calls/s = %.0f checks/s (p50/p99 %.0f/%.0f us per call) vs "
              "Authorize %.0f req/s (p50/p99 %.0f/%.0f us): %.2fx checks/s (rounds: med %.2f, %.2f-%.2f); "
              "errors %d, unexpected %d (load avg %s-%s)" % (
                  b["checks_per_call"], batch["concurrency"], b["qps"], b["checks_per_s"], b["p50_us"], b["p99_us"],
                  au["qps"], au["p50_us"], au["p99_us"], q["checks"], q["checks_round_median"], q["checks_round_min"],
                  q["checks_round_max"], b["errors"] + au["errors"], b["unexpected"] + au["unexpected"],
                  batch["load_avg_1m"], batch.get("load_avg_1m_end", "?")))
    inproc = load_json(os.path.join(out, "sibling_inprocess.json"))
    if inproc:
        medians = {}
        for x in inproc["benchmarks"]:
            name = x.get("run_name", x["name"])
            if x.get("run_type") == "aggregate":
                if x.get("aggregate_name") == "median":
                    medians[name] = x
            else:
                medians.setdefault(name, x)
        def row(label, name):
            x = medians.get(name)
            if x:
                print("  %-58s %8.0f ns %7.1f allocs %7.0f B in %6.0f B out" % (
                    label, x["real_time"], x.get("allocs_per_op", float("nan")), x.get("request_bytes", 0),
                    x.get("response_bytes", 0)))
        print("\nIn process, no transport (bench/ext_authz_bench, mix 80:10:10, medians; per call):")
        row("Authorize: parse + AuthorizeOnce + serialize", "BM_Server/rpc:0/kind:3")
        row("Check: parse + CheckOnce + serialize", "BM_Server/rpc:1/kind:3")
        row("Check + the bucket's org read from the store (since 4d47dad)", "BM_Server/rpc:5/kind:3")
        row("Check, messages on a protobuf Arena", "BM_Server/rpc:3/kind:3")
        row("Check, request with the authorization header only", "BM_Server/rpc:4/kind:3")
        row("BatchAuthorize of 100: parse + BatchAuthorizeOnce + serialize", "BM_Server/rpc:2/kind:3")
        row("  parse AuthorizeRequest", "BM_Parse/rpc:0/kind:3")
        row("  parse CheckRequest", "BM_Parse/rpc:1/kind:3")
        row("  AuthorizeOnce (decision + response)", "BM_Handler/rpc:0/kind:3")
        row("  CheckOnce (decision + response)", "BM_Handler/rpc:1/kind:3")
        row("  serialize AuthorizeResponse", "BM_Serialize/rpc:0/kind:3")
        row("  serialize CheckResponse", "BM_Serialize/rpc:1/kind:3")
        for step, label in enumerate(("ReadCheckRequest (find authorization)", "context_extensions lookup",
                                      "IsNormalPath", "route table Find", "ResolveTarget", "DecideToken (shared)",
                                      "CheckOnce minus the decision", "TokenStore::GetBucket (by-ID org)")):
            row("  Check step: " + label, "BM_CheckStep/step:%d" % step)


def write(out):
    rows = []
    for c in (1, 16, 64):
        r = load_json(os.path.join(out, "create_c%d.json" % c))
        if r:
            rows.append((c, r))
    if not rows:
        return
    print("\n## CreateAuthorization, synced writes")
    print("%4s %10s %9s %9s %9s %9s %7s %s" % ("conc", "creates/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "errors", "load avg"))
    for c, r in rows:
        x = r["runs"][0]
        print("%4d %10.0f %9.2f %9.2f %9.2f %9.2f %7d %s" % (
            c, x["qps"], x["p50_us"] / 1e3, x["p90_us"] / 1e3, x["p99_us"] / 1e3, x["p999_us"] / 1e3, x["errors"], r["load_avg_1m"]))
        if c == 16:
            verdict("creates >= 1000/s at concurrency 16 (synced)", x["qps"], 1000, True, "/s", "load_gen --rpc=create --concurrency=16")
            verdict("create p99 <= 10 ms at concurrency 16", x["p99_us"] / 1e3, 10, False, "ms", "load_gen --rpc=create --concurrency=16")


def h2load(out):
    got = {}
    for name in ("authd", "null"):
        try:
            with open(os.path.join(out, "h2load_%s.txt" % name)) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"finished in [^,]+, ([0-9.]+) req/s", text)
        done = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
        if m:
            got[name] = (float(m.group(1)), done.groups() if done else None)
    if not got:
        return
    print("\n## h2load cross-check (4 connections x 8 streams, pre-encoded allowed AuthorizeRequest)")
    for name, (qps, done) in got.items():
        print("%-6s %10.0f req/s   (total, done, succeeded, failed, errored: %s)" % (name, qps, ", ".join(done) if done else "?"))
    if "authd" in got and "null" in got:
        print("ratio authd/null: %.3f" % (got["authd"][0] / got["null"][0]))
    try:
        with open(os.path.join(out, "h2load_check.txt")) as f:
            print("one-call check: " + " ".join(l.strip() for l in f if l.strip()))
    except OSError:
        pass


def scale(out):
    s = load_json(os.path.join(out, "scale.json"))
    if not s:
        return
    n = s["tokens"]
    per_token = s["rss_kb"] * 1024.0 / n
    delta = (s["rss_kb"] - s["empty_rss_kb"]) * 1024.0 / n
    print("\n## Scale: %d tokens, %d permissions each" % (n, s["permissions"]))
    if s.get("seed_ms"):
        print("seed (offline, unsynced): %.1f s" % (s["seed_ms"] / 1e3))
    else:
        print("seed: reused the store seeded by an earlier run")
    print("data dir: %.0f MB" % (s["disk_kb"] / 1024.0))
    if "first_startup_ms" in s:
        print("authd first start (after the seed or the previous run's rebuild): %.2f s" % (s["first_startup_ms"] / 1e3))
    print("authd restart: %.2f s (load avg %s)" % (s["startup_ms"] / 1e3, s["load_avg_startup"]))
    print("authd VmRSS: %.0f MB = %.0f B/token; above an empty store's %.0f MB: %.0f B/token" % (
        s["rss_kb"] / 1024.0, per_token, s["empty_rss_kb"] / 1024.0, delta))
    print("replay of %d events (authd rebuild-projections): %.2f s (load avg %s)" % (s["events"], s["replay_ms"] / 1e3, s["load_avg_replay"]))
    label = "1M" if n == 1000000 else str(n)
    verdict("start-up with %s tokens <= 5 s (restart)" % label, s["startup_ms"] / 1e3, 5, False, "s", "time to authd's 'listening on' line")
    if "first_startup_ms" in s:
        verdict("start-up with %s tokens <= 5 s (first start after seed/rebuild)" % label, s["first_startup_ms"] / 1e3, 5, False, "s",
                "time to authd's 'listening on' line")
    verdict("<= 400 B RSS/token (2 permissions; whole-process RSS / tokens)", per_token, 400, False, "B", "VmRSS / tokens")
    verdict("replay of %s events <= 20 s" % label, s["replay_ms"] / 1e3, 20, False, "s", "authd rebuild-projections")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    try:
        with open(os.path.join(out, "env.txt")) as f:
            print(f.read().rstrip())
    except OSError:
        pass
    decision(out)
    load(out)
    sibling(out)
    write(out)
    h2load(out)
    scale(out)
    if VERDICTS:
        print("\n## Targets")
        for target, value, text, how in VERDICTS:
            print("- %-66s %-12s %s   [%s]" % (target, value, text, how))


if __name__ == "__main__":
    main()
