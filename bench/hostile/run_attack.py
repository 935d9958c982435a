#!/usr/bin/python3
"""run_attack.py: one HTTP/2 attack against one fresh authd, measured; prints one JSON line.

bench/hostile/run.sh calls it once per (mode, attack) for the 30-second hostile-network figures of
docs/security.md. Python 3 standard library only.

  run_attack.py --authd PATH --legit-client PATH --attacker PATH --buf PATH --attack NAME
                [--duration 30] [--quiet 5] [--after 5] [--connections N] [--mode front|nofront]
                [--pin] [--rss-kill-mb 3000] [--extra-authd-arg ARG ...] [--out DIR]
  run_attack.py --table RESULTS.jsonl      (the Markdown table of a run.sh results file)

Steps: start authd on a free 127.0.0.1 port with a fresh data dir (--mode nofront adds
--http2-front=false); Setup and a bucket read token through `buf curl`; sample authd's VmRSS and
utime+stime every 100 ms; start legit_client (phases quiet, attack, after); --quiet seconds later
start h2_attack.py for --duration seconds (--reconnect --json); wait for both; stop authd (SIGTERM,
SIGKILL after 15 s). If authd's RSS passes --rss-kill-mb it is SIGKILLed at once (that protects the
machine from --mode nofront) and the result says so. Every step prints its command to stderr,
prefixed "+", with the tokens shown as $OPERATOR_TOKEN and $READ_TOKEN: no token is ever printed,
logged by this script or put in the JSON. Only 127.0.0.1 is ever targeted; every wait is bounded.
Child processes never outlive the script: try/finally (Ctrl-C, SIGTERM and SIGHUP included), and
every child gets PR_SET_PDEATHSIG, so even a SIGKILL of this script takes them along. Logs and the
samples go to --out if given, else to a temporary dir that is removed.

Output (one line on stdout): attack, mode, duration_s, connections, pinned, authd_args;
legit {quiet, attack, after} (legit_client's result objects) and fresh_channel_ok;
legit_sent_of_scheduled (per phase: calls sent / one per 5 ms; legit_client drops the slots that a
call which hit its deadline overran, so a stall longer than the deadline shows here rather than
as failures); attacker (its JSON without the "goaways" list, with "first_goaway": the first
GOAWAY or null) and attacker_exit; rss_before_mb (median of the samples in the last 2 s of the
quiet phase), rss_peak_mb (max during the attack and after), rss_growth_mb, rss_end_mb (last
sample); cpu_attack_pct (authd CPU, % of one core, over the attack); idle_after_s (from the
attacker's exit to the start of the first 500 ms window with authd below 10% of a core, within
the after phase; null if none); killed_at_rss_mb (or null) and killed_at_t_s (since the attack's
start); authd_exit (exit code, or "SIGKILL" etc.); authd_stop ("sigterm"; "sigkill_after_15s" if
it ignored SIGTERM; "rss_kill"; "exited_early": it died by itself during the run); p99_ratio
(attack p99 / quiet p99); targets {success_ge_99, p99_le_10x_and_100ms, rss_growth_le_64mb,
idle_within_2s, fresh_channel, goaway_early}; token_in_authd_log; timed_out (processes that
overran their bound and were killed); loadavg. "MB" are MiB (VmRSS kB / 1024).
On a failure before the measurement (authd did not start, Setup failed) it prints
{"attack", "mode", "error"} and exits 1.
"""

import argparse
import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SETUP_BODY = {"username": "admin", "password": "change-me-now", "org": "acme", "bucket": "metrics"}
SAMPLE_PERIOD_S = 0.1
IDLE_WINDOW_S = 0.5
IDLE_CPU_FRACTION = 0.10
LISTEN_TIMEOUT_S = 30
BUF_TIMEOUT_S = 60
TERM_GRACE_S = 15
LEGIT_PERIOD_S = 0.005  # legit_client's default --period
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


class Interrupted(Exception):
    pass


def on_signal(signum, _frame):
    raise Interrupted("signal %d" % signum)


# ---------------------------------------------------------------- small helpers

class Secrets:
    """Strings that must never be printed: replaced by their names in everything shown."""

    def __init__(self):
        self.items = []

    def add(self, value, name):
        if value:
            self.items.append((value, name))

    def redact(self, text):
        for value, name in self.items:
            text = text.replace(value, name)
        return text


SECRETS = Secrets()


def say(msg):
    print(SECRETS.redact(msg), file=sys.stderr, flush=True)


def shown(cmd):
    return " ".join(shlex.quote(a) for a in cmd)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork
except (OSError, AttributeError):
    _PRCTL = None
# Held by the sampler thread while it works and by Procs.start while it forks: the child's
# preexec_fn then runs while our only other thread is parked on this lock, holding nothing else.
FORK_LOCK = threading.Lock()


def set_pdeathsig():
    """In the child before exec: SIGKILL it when we die, even by SIGKILL (survives exec)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def read_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None  # gone, or a zombie (no VmRSS line)


def read_cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)
    except (OSError, ValueError, IndexError):
        return None


def exit_text(code):
    if code is None:
        return None
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return "signal %d" % -code
    return code


def median(values):
    v = sorted(values)
    if not v:
        return None
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def rnd(x, digits=1):
    return None if x is None else round(x, digits)


def last_json_line(text, prefix="{"):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith(prefix):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------- processes

class Procs:
    """Every child we start; kill_all() ends the ones still running (by their own pids)."""

    def __init__(self):
        self.procs = {}

    def start(self, name, cmd, stdout, stderr):
        say("+ " + shown(cmd))
        with FORK_LOCK:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 start_new_session=True,  # a Ctrl-C reaches us, and we clean up
                                 preexec_fn=set_pdeathsig)
        self.procs[name] = p
        return p

    def kill_all(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                say("run_attack: killing %s (pid %d)" % (name, p.pid))
                try:
                    p.kill()
                except OSError:
                    pass
        for p in self.procs.values():
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


class Sampler(threading.Thread):
    """VmRSS and utime+stime of authd every 100 ms; SIGKILLs authd past the RSS limit."""

    def __init__(self, proc, rss_kill_kb):
        super().__init__(daemon=True)
        self.proc, self.rss_kill_kb = proc, rss_kill_kb
        self.samples = []  # (monotonic t, rss kB, cpu s)
        self.killed_at_kb, self.killed_at_t = None, None
        self.stop_event = threading.Event()

    def run(self):
        pid = self.proc.pid
        try:
            pidfd = os.pidfd_open(pid)  # kills through it cannot hit a reused pid
        except (AttributeError, OSError):
            pidfd = None
        try:
            self.sample(pid, pidfd)
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def sample(self, pid, pidfd):
        next_t = time.monotonic()
        while not self.stop_event.is_set():
            with FORK_LOCK:
                if not self.sample_once(pid, pidfd):
                    return
            next_t += SAMPLE_PERIOD_S
            self.stop_event.wait(max(0.0, next_t - time.monotonic()))

    def sample_once(self, pid, pidfd):
        """One sample; False once authd is gone."""
        t = time.monotonic()
        rss, cpu = read_rss_kb(pid), read_cpu_s(pid)
        if self.proc.returncode is not None:  # reaped: the pid is no longer authd's
            return False
        if rss is None or cpu is None:  # a zombie, not reaped yet
            return True
        self.samples.append((t, rss, cpu))
        if self.killed_at_kb is None and rss > self.rss_kill_kb:
            self.killed_at_kb, self.killed_at_t = rss, t
            try:
                if pidfd is not None:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            say("run_attack: authd RSS %d MiB passed --rss-kill-mb: SIGKILLed it" % (rss // 1024))
        return True

    def stop(self):
        self.stop_event.set()
        self.join(5)


def buf_curl(buf, port, method, body, header=None):
    cmd = [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge"]
    if header:
        cmd += ["-H", header]
    cmd += ["-d", json.dumps(body, separators=(",", ":")), "http://127.0.0.1:%d/%s" % (port, method)]
    say("+ " + shown(cmd))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BUF_TIMEOUT_S)
    if r.returncode != 0:
        raise RuntimeError("buf curl %s failed (exit %d): %s" % (method, r.returncode,
                                                                SECRETS.redact(r.stderr.strip())[:2000]))
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise RuntimeError("buf curl %s: no JSON in its output" % method)


def wait_listening(proc, log_path, port):
    deadline = time.monotonic() + LISTEN_TIMEOUT_S
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            text = f.read()
        if "listening on" in text:
            if "listening on 127.0.0.1:%d" % port not in text:
                raise RuntimeError("authd is not listening on 127.0.0.1:%d: %s" % (port, text[-2000:]))
            return
        if proc.poll() is not None:
            raise RuntimeError("authd exited during start-up (%s): %s" % (exit_text(proc.returncode), text[-2000:]))
        time.sleep(0.02)
    raise RuntimeError("authd did not print 'listening on' in %d s" % LISTEN_TIMEOUT_S)


# ---------------------------------------------------------------- analysis

def analyse(samples, t_attack_start, t_attack_end, t_after_end):
    """RSS and CPU figures from the sampler's (t, rss kB, cpu s) list."""
    out = {"rss_before_mb": None, "rss_peak_mb": None, "rss_growth_mb": None, "rss_end_mb": None,
           "cpu_attack_pct": None, "idle_after_s": None}
    if not samples:
        return out
    before = [rss for t, rss, _ in samples if t_attack_start - 2.0 <= t < t_attack_start]
    if not before:
        before = [rss for t, rss, _ in samples if t < t_attack_start][-1:]
    during = [rss for t, rss, _ in samples if t >= t_attack_start]
    rss_before = median(before)
    if rss_before is not None:
        out["rss_before_mb"] = rnd(rss_before / 1024)
    if during:
        out["rss_peak_mb"] = rnd(max(during) / 1024)
        if rss_before is not None:
            out["rss_growth_mb"] = rnd((max(during) - rss_before) / 1024)
    out["rss_end_mb"] = rnd(samples[-1][1] / 1024)

    # CPU over the attack: the last sample at or before its start and its end.
    def last_at_or_before(t_limit):
        best = None
        for s in samples:
            if s[0] <= t_limit:
                best = s
        return best

    a, b = last_at_or_before(t_attack_start), last_at_or_before(t_attack_end)
    if a is not None and b is not None and b[0] - a[0] > 0.05:
        out["cpu_attack_pct"] = rnd(100.0 * (b[2] - a[2]) / (b[0] - a[0]))

    # Idle after: first window [t_i, t_j], t_j >= t_i + 500 ms, inside the after phase, under 10%.
    after = [s for s in samples if t_attack_end <= s[0] <= t_after_end + SAMPLE_PERIOD_S / 2]
    j = 0
    for i, (ti, _, ci) in enumerate(after):
        j = max(j, i + 1)
        while j < len(after) and after[j][0] - ti < IDLE_WINDOW_S - 0.01:
            j += 1
        if j >= len(after):
            break
        tj, _, cj = after[j]
        if (cj - ci) / (tj - ti) < IDLE_CPU_FRACTION:
            out["idle_after_s"] = round(ti - t_attack_end, 2)
            break
    return out


def targets(result):
    legit = result.get("legit") or {}
    quiet, attack = legit.get("quiet") or {}, legit.get("attack") or {}
    attacker = result.get("attacker") or {}
    p99_q, p99_a = quiet.get("p99_us"), attack.get("p99_us")
    first = attacker.get("first_close_t_s")
    growth, idle = result.get("rss_growth_mb"), result.get("idle_after_s")
    if result.get("killed_at_rss_mb") is not None or result.get("authd_stop") == "exited_early":
        # A dead server closes every connection: only a GOAWAY before the kill counts then.
        goaway = attacker.get("first_goaway") or {}
        killed_t = result.get("killed_at_t_s")
        first = goaway.get("t_s")
        if first is not None and killed_t is not None and first >= killed_t:
            first = None
    return {
        "success_ge_99": attack.get("success") is not None and attack["success"] >= 0.99,
        "p99_le_10x_and_100ms": (p99_q is not None and p99_a is not None and p99_a <= 10 * p99_q
                                 and p99_a <= 100000),
        "rss_growth_le_64mb": growth is not None and growth <= 64 and result.get("killed_at_rss_mb") is None,
        "idle_within_2s": idle is not None and idle <= 2,
        "fresh_channel": result.get("fresh_channel_ok") is True,
        "goaway_early": result["attack"] == "churn" or (first is not None and first <= 10),
    }


# ---------------------------------------------------------------- one run

def run(args):
    connections = args.connections or (2000 if args.attack == "idle-conns" else 2)
    server_pin = ["taskset", "-c", "0"] if args.pin else []
    client_pin = ["taskset", "-c", "1"] if args.pin else []
    attacker_pin = ["taskset", "-c", "1", "nice", "-n", "19"] if args.pin else []
    authd_args = (["--http2-front=false"] if args.mode == "nofront" else []) + list(args.extra_authd_arg)
    tag = "%s-%s" % (args.mode, args.attack)

    tmp = tempfile.mkdtemp(prefix="authd-hostile-run.")
    logs = args.out or tmp
    os.makedirs(logs, exist_ok=True)
    log = lambda suffix: os.path.join(logs, "%s.%s" % (tag, suffix))  # noqa: E731
    procs, files, sampler = Procs(), [], None
    result = {"attack": args.attack, "mode": args.mode}
    try:
        port = free_port()
        authd_log_path = log("authd.log")
        authd_log = open(authd_log_path, "w")
        files.append(authd_log)
        authd = procs.start("authd", server_pin + [args.authd, "--listen=127.0.0.1:%d" % port,
                                                   "--data-dir=%s" % os.path.join(tmp, "data")] + authd_args,
                            authd_log, subprocess.STDOUT)
        wait_listening(authd, authd_log_path, port)
        say("run_attack: authd pid %d on 127.0.0.1:%d, log %s" % (authd.pid, port, authd_log_path))

        setup = buf_curl(args.buf, port, "authd.v1.SetupService/Setup", SETUP_BODY)
        operator = setup["authorization"]["token"]
        SECRETS.add(operator, "$OPERATOR_TOKEN")
        org, bucket = setup["org"]["id"], setup["bucket"]["id"]
        reader = buf_curl(args.buf, port, "authd.v1.AuthorizationService/CreateAuthorization",
                          {"org_id": org, "description": "bench reader",
                           "permissions": [{"action": "read",
                                            "resource": {"type": "buckets", "id": bucket, "org_id": org}}]},
                          header="authorization: Token " + operator)["token"]
        SECRETS.add(reader, "$READ_TOKEN")

        sampler = Sampler(authd, args.rss_kill_mb * 1024)
        sampler.start()

        d, q, a = args.duration, args.quiet, args.after
        legit_out = open(log("legit.out"), "w+")
        legit_err = open(log("legit.err"), "w")
        files += [legit_out, legit_err]
        t_legit_start = time.monotonic()
        legit = procs.start("legit_client", client_pin + [
            args.legit_client, "--target=127.0.0.1:%d" % port, "--token=" + reader, "--org=" + org,
            "--bucket=" + bucket, "--quiet=%gs" % q, "--attack=%gs" % d, "--after=%gs" % a],
            legit_out, legit_err)

        time.sleep(max(0.0, t_legit_start + q - time.monotonic()))
        att_out = open(log("attacker.out"), "w+")
        att_err = open(log("attacker.err"), "w")
        files += [att_out, att_err]
        t_attack_start = time.monotonic()
        attack_cmd = [
            sys.executable, args.attacker, args.attack, "--target", "127.0.0.1:%d" % port,
            "--connections", str(connections), "--duration", "%g" % d, "--reconnect", "--json"]
        if args.attack == "zero-window":
            # Answers that carry DATA (Health/Check's), so a zero window really holds them;
            # Authorize without a token is answered in HEADERS alone, which flow control lets by.
            attack_cmd += ["--path", "/grpc.health.v1.Health/Check"]
        attacker = procs.start("attacker", attacker_pin + attack_cmd, att_out, att_err)

        # Both, bounded; the attacker's exit is the attack's end (its sockets close with it).
        deadline = t_legit_start + q + d + a + 60
        t_attack_end = None
        while time.monotonic() < deadline:
            if t_attack_end is None and attacker.poll() is not None:
                t_attack_end = time.monotonic()
            if t_attack_end is not None and legit.poll() is not None:
                break
            time.sleep(0.02)
        timed_out = [name for name, p in (("legit_client", legit), ("attacker", attacker)) if p.poll() is None]
        for name in timed_out:
            say("run_attack: %s overran its bound; killing it" % name)
            procs.procs[name].kill()
            procs.procs[name].wait(5)
        if t_attack_end is None:
            t_attack_end = time.monotonic()
        t_measure_end = time.monotonic()

        # authd: SIGTERM, SIGKILL after 15 s. The sampler keeps guarding its RSS meanwhile.
        if sampler.killed_at_kb is not None:
            authd_stop = "rss_kill"
        elif authd.poll() is not None:
            authd_stop = "exited_early"  # died by itself during the run: a crash
        else:
            authd_stop = "sigterm"
            say("+ kill -TERM %d  (authd)" % authd.pid)
            authd.send_signal(signal.SIGTERM)
            try:
                authd.wait(TERM_GRACE_S)
            except subprocess.TimeoutExpired:
                say("run_attack: authd ignored SIGTERM for %d s; SIGKILL" % TERM_GRACE_S)
                authd.kill()
                authd.wait(5)
                authd_stop = "sigkill_after_%ds" % TERM_GRACE_S
            if sampler.killed_at_kb is not None:
                authd_stop = "rss_kill"
        authd.wait(5)
        sampler.stop()
        samples = [s for s in sampler.samples if s[0] <= t_measure_end]

        legit_out.seek(0)
        phases, fresh = {}, None
        for line in legit_out.read().splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if "phase" in obj:
                phases[obj["phase"]] = obj["result"]
            elif "fresh_channel_ok" in obj:
                fresh = obj["fresh_channel_ok"]
        att_out.seek(0)
        att = last_json_line(att_out.read(), '{"attack"')
        if att is not None:
            goaways = att.pop("goaways", [])
            att["first_goaway"] = goaways[0] if goaways else None
        att_exit = attacker.returncode

        result.update({"duration_s": d, "connections": connections, "pinned": bool(args.pin),
                       "authd_args": authd_args,
                       "legit": {p: phases.get(p) for p in ("quiet", "attack", "after")},
                       "fresh_channel_ok": fresh, "attacker": att, "attacker_exit": exit_text(att_exit)})
        # legit_client calls one at a time and drops the slots a call that hit its deadline overran:
        # a stall longer than the deadline shows as few calls sent, not as failures.
        result["legit_sent_of_scheduled"] = {
            p: (None if not phases.get(p) else round(phases[p]["sent"] * LEGIT_PERIOD_S / secs, 3))
            for p, secs in (("quiet", q), ("attack", d), ("after", a))}
        result.update(analyse(samples, t_attack_start, t_attack_end, t_legit_start + q + d + a))
        result["killed_at_rss_mb"] = None if sampler.killed_at_kb is None else rnd(sampler.killed_at_kb / 1024)
        if sampler.killed_at_t is not None:
            result["killed_at_t_s"] = round(sampler.killed_at_t - t_attack_start, 2)  # since the attack's start
        result["authd_exit"] = exit_text(authd.returncode)
        result["authd_stop"] = authd_stop
        quiet_p99 = (phases.get("quiet") or {}).get("p99_us")
        attack_p99 = (phases.get("attack") or {}).get("p99_us")
        result["p99_ratio"] = rnd(attack_p99 / quiet_p99, 2) if quiet_p99 and attack_p99 is not None else None
        result["targets"] = targets(result)
        with open(authd_log_path, errors="replace") as f:
            authd_text = f.read()
        result["token_in_authd_log"] = any(s in authd_text for s, _ in SECRETS.items)
        result["timed_out"] = timed_out
        with open("/proc/loadavg") as f:
            result["loadavg"] = " ".join(f.read().split()[:3])

        with open(log("samples.tsv"), "w") as f:
            f.write("t_since_attack_start_s\trss_kb\tcpu_s\n")
            for t, rss, cpu in samples:
                f.write("%.3f\t%d\t%.2f\n" % (t - t_attack_start, rss, cpu))
        return result
    finally:
        if sampler is not None:
            sampler.stop_event.set()
        procs.kill_all()
        for f in files:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- the Markdown table

def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))

    def pct(x):
        return "-" if x is None else "%.2f" % (100.0 * x)

    def ms(us):
        return "-" if us is None else "%.2f" % (us / 1000.0)

    def num(x, fmt="%.1f"):
        return "-" if x is None else fmt % x

    out = ["| mode | attack | legit ok % (attack phase) | quiet p99 ms | attack p99 ms | after ok % | "
           "RSS growth MB | authd CPU % during | idle after (s) | first GOAWAY/close (s) | new channel | "
           "targets met |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for r in rows:
        if "error" in r:
            out.append("| %s | %s | error: %s |  |  |  |  |  |  |  |  |  |" %
                       (r.get("mode"), r.get("attack"), " ".join(r["error"].split()).replace("|", "/")[:120]))
            continue
        legit = r.get("legit") or {}
        q, a, af = legit.get("quiet") or {}, legit.get("attack") or {}, legit.get("after") or {}
        att = r.get("attacker") or {}
        first = att.get("first_close_t_s")
        close = num(first, "%.2f")
        if att.get("first_goaway"):
            close += " (%s)" % att["first_goaway"].get("debug", "").replace("|", "/")
        growth = num(r.get("rss_growth_mb"))
        if r.get("killed_at_rss_mb") is not None:
            growth += " (killed at %.0f)" % r["killed_at_rss_mb"]
        t = r.get("targets") or {}
        fresh = r.get("fresh_channel_ok")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |" % (
            r.get("mode"), r.get("attack"), pct(a.get("success")), ms(q.get("p99_us")), ms(a.get("p99_us")),
            pct(af.get("success")), growth, num(r.get("cpu_attack_pct"), "%.0f"),
            num(r.get("idle_after_s"), "%.1f") if r.get("idle_after_s") is not None else "never",
            close, "-" if fresh is None else ("yes" if fresh else "NO"),
            sum(1 for v in t.values() if v), len(t)))
    with open("/proc/loadavg") as f:
        out.append("")
        out.append("load average: %s" % " ".join(f.read().split()[:3]))
    print("\n".join(out))


# ---------------------------------------------------------------- main

def parse_args():
    p = argparse.ArgumentParser(description="One HTTP/2 attack against one fresh authd (see the header).")
    p.add_argument("--table", metavar="RESULTS_JSONL", help="only print the Markdown table of a results file")
    p.add_argument("--authd")
    p.add_argument("--legit-client")
    p.add_argument("--attacker")
    p.add_argument("--buf")
    p.add_argument("--attack")
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--quiet", type=float, default=5.0)
    p.add_argument("--after", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=None, help="default 2 (2000 for idle-conns)")
    p.add_argument("--mode", choices=("front", "nofront"), default="front")
    p.add_argument("--pin", action="store_true", help="authd on CPU 0; legit_client and the attacker on CPU 1")
    p.add_argument("--rss-kill-mb", type=int, default=3000)
    p.add_argument("--extra-authd-arg", action="append", default=[])
    p.add_argument("--out", help="keep the logs and samples here")
    args = p.parse_args()
    if args.table:
        return args
    for name in ("authd", "legit_client", "attacker", "buf", "attack"):
        if not getattr(args, name):
            p.error("--%s is required" % name.replace("_", "-"))
    for name in ("authd", "legit_client", "attacker", "buf"):
        if not os.path.isfile(getattr(args, name)):
            p.error("--%s %s: no such file" % (name.replace("_", "-"), getattr(args, name)))
    if not 0 < args.duration <= 600 or not 0 < args.quiet <= 600 or not 0 < args.after <= 600:
        p.error("--duration, --quiet and --after must be in (0, 600]")
    if args.rss_kill_mb < 1:
        p.error("--rss-kill-mb must be positive")
    return args


def main():
    args = parse_args()
    if args.table:
        table(args.table)
        return 0
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        result = run(args)
    except (Interrupted, KeyboardInterrupt) as e:
        say("run_attack: interrupted (%s); every child stopped" % (e or "Ctrl-C"))
        return 130
    except Exception as e:  # pylint: disable=broad-except  (reported as a result line; children stopped)
        msg = SECRETS.redact("%s: %s" % (type(e).__name__, e))
        say("run_attack: " + msg)
        print(json.dumps({"attack": args.attack, "mode": args.mode, "error": msg[:500]}), flush=True)
        return 1
    text = json.dumps(result, separators=(",", ":"))
    if SECRETS.redact(text) != text:  # cannot happen; never print a token if it does
        say("run_attack: a token reached the result; not printing it")
        return 1
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
