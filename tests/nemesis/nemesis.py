#!/usr/bin/env python3
"""A randomized HA nemesis on a local cluster (issue 14; tests/nemesis/README.md).

Brings up `mysqlset up --replicas 3 --etcd-members 3` in a temp dir, runs writer threads
through the write endpoint, injects a seeded random schedule of process faults (kill -9 and
SIGSTOP of mariadbd / agent / both on the primary or a replica, kill -9 / SIGSTOP of one
etcd member, switchovers in the middle of a fault), heals each, and then checks the
history: no acknowledged write lost, unknown outcomes all-or-nothing, no two members
acknowledging writes at once, equal data and GTIDs, no errant GTIDs, every member ready.

Every signal goes to a pid read from the supervisor's state.json whose /proc cmdline names
the cluster's dir. Every stopped process is continued and the cluster is purged in a
`finally`, whatever happens. Exit 0 = every check held; 1 = a violation (named); 2 = the
harness itself could not run (setup).
"""
import argparse
import base64
import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pymysql

import checker

CLUSTER = "mysql"
WRITERS = 4
# Kinds of fault and their weights in the schedule.
KINDS = [("kill9", 3), ("sigstop", 3), ("etcd", 2)]


def log(msg):
    print(f"[nemesis {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Harness:
    def __init__(self, binary, workdir):
        self.bin = binary
        self.work = workdir
        self.dir = os.path.join(workdir, "c")
        self.held = set()  # pids we SIGSTOPped (processes and the supervisor)
        self.lock = threading.Lock()

    # ---- the cluster -------------------------------------------------------------------
    def run(self, *args, timeout=30, stdin=None):
        """Runs `mysqlset ARGS --dir DIR`; returns (exit code, stdout, stderr); 124 on timeout."""
        try:
            p = subprocess.run([self.bin, *args, "--dir", self.dir], input=stdin,
                               capture_output=True, text=True, timeout=timeout)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            return 124, "", f"timed out after {timeout} s"

    def status(self):
        rc, out, _ = self.run("status", "--json", timeout=20)
        try:
            return json.loads(out)
        except ValueError:
            return None

    def ready(self):
        rc, _, _ = self.run("status", "--check", timeout=20)
        if rc != 0:
            return False
        s = self.status()
        return bool(s and s.get("primary"))

    def wait_ready(self, bound):
        """Seconds until every member is ready with a primary, or None after `bound` s."""
        t0 = time.monotonic()
        for _ in range(int(bound) * 2 + 1):
            if self.ready():
                return time.monotonic() - t0
            if time.monotonic() - t0 > bound:
                break
            time.sleep(0.5)
        return None

    def state(self):
        with open(os.path.join(self.dir, "state.json")) as f:
            return json.load(f)

    def secret(self, name):
        with open(os.path.join(self.dir, "secrets", name)) as f:
            return f.read().strip()

    # ---- signals, by pid only ------------------------------------------------------------
    def ours(self, pid):
        """True when /proc/PID/cmdline names the cluster's dir (never signal anyone else's)."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return self.dir.encode() in f.read()
        except OSError:
            return False

    def signal(self, pid, sig):
        if not pid or not self.ours(pid):
            return False
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        with self.lock:
            if sig == signal.SIGSTOP:
                self.held.add(pid)
        return True

    def cont_all(self):
        with self.lock:
            held, self.held = self.held, set()
        for pid in held:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


# ---- clients -------------------------------------------------------------------------------
class Writers:
    """WRITERS threads insert unique ids through the write endpoint. Each transaction also
    reads @@server_id, so an acknowledged id records which member acknowledged it and when
    (monotonic and wall clock at COMMIT sent and OK received)."""

    def __init__(self, port, password, stop_evt, host="127.0.0.1", netns=None,
                 enter=None):
        self.host = host
        self.port = port
        self.password = password
        self.stop = stop_evt
        # The netns mode (netns_nemesis.py): each writer thread joins this network namespace
        # (a path such as /run/netns/NAME) first; setns acts on the calling thread only.
        self.netns = netns
        self.enter = enter  # joins a netns: podsim.enter_netns
        self.mu = threading.Lock()
        self.acked = []      # checker.Ack: id, server_id, COMMIT sent and OK times
        self.failed = []     # ids: an error before COMMIT was sent
        self.unknown = []    # ids: COMMIT sent, no answer
        self.threads = [threading.Thread(target=self.run, args=(w,), daemon=True)
                        for w in range(WRITERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(timeout=30)

    def connect(self):
        return pymysql.connect(host=self.host, port=self.port, user="app",
                               password=self.password, autocommit=True, connect_timeout=2,
                               read_timeout=10, write_timeout=10)

    def run(self, w):
        if self.netns:
            self.enter(self.netns)
        seq = 0
        conn = None
        while not self.stop.is_set():
            if conn is None:
                try:
                    conn = self.connect()
                except Exception:
                    time.sleep(0.1)
                    continue
            seq += 1
            wid = (w + 1) * 1_000_000_000 + seq
            committing = False
            try:
                c = conn.cursor()
                c.execute("BEGIN")
                c.execute("INSERT INTO nemesis.ops (id, writer) VALUES (%s, %s)", (wid, w))
                c.execute("SELECT @@server_id")
                sid = c.fetchone()[0]
                committing = True
                sent_m, sent_w = time.monotonic(), time.time()
                c.execute("COMMIT")
                end_m, end_w = time.monotonic(), time.time()
                with self.mu:
                    self.acked.append(checker.Ack(wid, sid, sent_m, end_m, sent_w, end_w))
            except Exception:
                # Before COMMIT nothing can have committed (the server rolls back a
                # transaction whose session ends). During COMMIT any error leaves the
                # outcome unknown, whatever its code: conservative.
                with self.mu:
                    (self.unknown if committing else self.failed).append(wid)
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
                time.sleep(0.05)
            time.sleep(0.01)


# ---- the schedule --------------------------------------------------------------------------
def draw_fault(rng, kinds, dur_lo, dur_hi):
    """A fault's kind (from [(kind, weight)]), its duration and the pause before it: the first
    draws of every fault, in both modes."""
    kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    return {"kind": kind, "duration": round(rng.uniform(dur_lo, dur_hi), 1),
            "pause": round(rng.uniform(1, 3), 1)}


def make_schedule(rng, count, dur_lo, dur_hi):
    """The whole schedule, drawn up front from the seed: the same seed gives the same faults,
    targets (by role and index) and delays. Which member a role names is resolved when the
    fault is injected (it depends on the earlier failovers)."""
    steps = []
    for _ in range(count):
        f = draw_fault(rng, KINDS, dur_lo, dur_hi)
        kind = f["kind"]
        if kind in ("kill9", "sigstop"):
            f["role"] = rng.choice(["primary", "replica"])
            f["replica_index"] = rng.randrange(2)
            f["proc"] = rng.choice(["mariadbd", "agent", "both"])
            # A kill of both processes is a real loss: the supervisor is held (SIGSTOP) so it
            # cannot restart them until the heal. A single process killed is restarted at
            # once unless `hold` is drawn too.
            f["hold"] = kind == "kill9" and (f["proc"] == "both" or rng.random() < 0.3)
        else:
            f["action"] = rng.choice(["kill9", "sigstop"])
            f["etcd_index"] = rng.randrange(3)
        if rng.random() < 0.3:
            f["switchover_after"] = round(rng.uniform(0.5, min(3.0, f["duration"])), 1)
            f["switchover_index"] = rng.randrange(2)
        steps.append(f)
    return steps


def describe(f):
    if f["kind"] == "etcd":
        d = f"{f['action']} etcd-{f['etcd_index']}"
    else:
        d = f"{f['kind']} {f['proc']} of the {f['role']}"
        if f["role"] == "replica":
            d += f" #{f['replica_index']}"
        if f.get("hold"):
            d += " (supervisor held)"
    d += f" for {f['duration']} s"
    if "switchover_after" in f:
        d += f", switchover to replica #{f['switchover_index']} after {f['switchover_after']} s"
    return d


def fault_type(f):
    if f["kind"] == "etcd":
        return f"etcd {f['action']}"
    return f"{f['kind']} {f['proc']} {f['role']}"


# ---- the run -------------------------------------------------------------------------------
def free_base():
    """A base port B with B-16..B+32 free on 127.0.0.1 (the cluster's ports), below 32768."""
    rng = random.SystemRandom()
    for _ in range(100):
        base = 20000 + rng.randrange(600) * 20
        ok = True
        for p in range(base - 16, base + 33):
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", p)) == 0:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free base port")


def etcd_history(h):
    """history/<epoch> entries from the store, oldest first (None if no etcd member answers)."""
    import urllib.request
    prefix = f"/mysqlset/{CLUSTER}/history/"
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    body = json.dumps({"key": b64(prefix), "range_end": b64(prefix[:-1] + "0")}).encode()
    for e in h.state().get("etcd", []):
        try:
            req = urllib.request.Request(e["client_url"] + "/v3/kv/range", data=body)
            r = json.load(urllib.request.urlopen(req, timeout=3))
            out = [json.loads(base64.b64decode(kv["value"])) for kv in r.get("kvs", [])]
            return sorted(out, key=lambda x: x["epoch"])
        except Exception:
            continue
    return None


def member_names(st):
    return sorted(m["name"] for m in st["members"])


def inject(h, f, events):
    """Injects fault f; returns what to note about it. Resolves roles to members now."""
    st = h.status()
    primary = st.get("primary") if st else None
    state = h.state()
    if f["kind"] == "etcd":
        e = state["etcd"][f["etcd_index"]]
        sig = signal.SIGKILL if f["action"] == "kill9" else signal.SIGSTOP
        ok = h.signal(e["pid"], sig)
        return f"{e['name']} pid {e['pid']}{'' if ok else ' (not signalled: gone)'}"
    names = member_names(state)
    if f["role"] == "primary":
        if not primary:
            return None
        target = primary
    else:
        reps = [n for n in names if n != primary]
        target = reps[f["replica_index"] % len(reps)]
    m = next(m for m in state["members"] if m["name"] == target)
    pids = []
    if f["proc"] in ("mariadbd", "both"):
        pids.append(m["mariadbd_pid"])
    if f["proc"] in ("agent", "both"):
        pids.append(m["agent_pid"])
    if f.get("hold"):
        h.signal(state["pid"], signal.SIGSTOP)
    sig = signal.SIGKILL if f["kind"] == "kill9" else signal.SIGSTOP
    done = [str(p) for p in pids if h.signal(p, sig)]
    return f"{target} (primary was {primary}) pids {','.join(done) or 'none'}"


def switchover(h, f, result):
    st = h.status()
    primary = st.get("primary") if st else None
    reps = [n for n in member_names(h.state()) if n != primary]
    to = reps[f["switchover_index"] % len(reps)]
    t0 = time.monotonic()
    rc, out, err = h.run("switchover", "--to", to, "--timeout", "30", timeout=45)
    lines = (out + err).strip().splitlines()
    result.update(to=to, rc=rc, seconds=round(time.monotonic() - t0, 1),
                  line=lines[-1] if lines else "")


def add_schedule_flags(ap, seconds, max_duration, recover_bound):
    """The flags both modes share (nemesis.py, netns_nemesis.py)."""
    ap.add_argument("--seed", type=int)
    ap.add_argument("--faults", type=int, default=8, help="at most this many faults")
    ap.add_argument("--seconds", type=float, default=seconds,
                    help="no new fault starts after this many seconds of faults")
    ap.add_argument("--min-duration", type=float, default=2)
    ap.add_argument("--max-duration", type=float, default=max_duration)
    ap.add_argument("--recover-bound", type=float, default=recover_bound,
                    help="seconds for every member to be ready after a heal")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs) on success")


def run_schedule(schedule, a, violations, describe, inject, heal, switchover, wait_ready):
    """Runs the schedule, bounded by a.faults (its length) and a.seconds: for each fault, the
    pause, inject(f) (a note, or None to skip it), a switchover(f, result) on a thread when
    drawn, heal() after its duration, then wait_ready(bound) (seconds, or None). A fault not
    recovered within a.recover_bound is a violation and ends the schedule. Returns
    [(fault, injected_mono, healed_mono, recovered_mono or None, note, switchover result)]."""
    run_t0 = time.monotonic()
    faults = []
    for i, f in enumerate(schedule):
        if time.monotonic() - run_t0 > a.seconds:
            log(f"time budget of {a.seconds:.0f} s spent: {i} of {len(schedule)} faults run")
            break
        time.sleep(f["pause"])
        t_inj = time.monotonic()
        note = inject(f)
        if note is None:
            log(f"fault {i + 1}: skipped (no target: no single primary, or no sync replica)")
            continue
        log(f"fault {i + 1}: {describe(f)}: {note}")
        sw = {}
        swt = None
        if "switchover_after" in f:
            time.sleep(f["switchover_after"])
            swt = threading.Thread(target=switchover, args=(f, sw), daemon=True)
            swt.start()
        time.sleep(max(0.0, t_inj + f["duration"] - time.monotonic()))
        heal()
        t_heal = time.monotonic()
        # A second for the healed agents to report afresh: right after SIGCONT (or a link up),
        # a readiness check may still see what they last said before the fault.
        time.sleep(1)
        if swt:
            swt.join(timeout=60)
            log(f"fault {i + 1}: switchover --to {sw.get('to')}: exit {sw.get('rc')} "
                f"in {sw.get('seconds')} s: {sw.get('line')}")
        took = wait_ready(a.recover_bound)
        if took is None:
            violations.append(f"fault {i + 1} ({describe(f)}): the cluster was not ready "
                              f"within {a.recover_bound:.0f} s of the heal")
            log(violations[-1])
            faults.append((f, t_inj, t_heal, None, note, sw))
            break
        log(f"fault {i + 1}: healed; all ready {took:.1f} s later")
        faults.append((f, t_inj, t_heal, time.monotonic(), note, sw))
    return faults


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    add_schedule_flags(ap, seconds=150, max_duration=15, recover_bound=120)
    a = ap.parse_args()
    # SIGTERM (a test runner's timeout) unwinds like Ctrl-C, through the `finally` that
    # continues every stopped process and purges the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"nemesis seed {seed} (replay: --seed {seed})", flush=True)
    rng = random.Random(seed)
    schedule = make_schedule(rng, a.faults, a.min_duration, a.max_duration)
    if len(schedule) <= 20:
        for i, f in enumerate(schedule):
            log(f"plan {i + 1}: {describe(f)}")
    else:
        log(f"plan: {len(schedule)} faults drawn (each printed as it is injected)")

    work = tempfile.mkdtemp(prefix="nemesis-")
    h = Harness(os.path.abspath(a.binary), work)
    violations = []
    stop_writers = threading.Event()
    writers = None
    ok = False
    try:
        base = free_base()
        log(f"up: {h.dir} base port {base}")
        rc, out, err = h.run("up", "--replicas", "3", "--etcd-members", "3", "--base-port",
                             str(base), "--timeout", "600", timeout=660)
        if rc != 0:
            log(f"up failed ({rc}): {(out + err).strip().splitlines()[-1:]}")
            return 2
        rc, out, err = h.run("sql", "--admin", stdin=(
            "CREATE DATABASE nemesis; CREATE TABLE nemesis.ops (seq BIGINT AUTO_INCREMENT "
            "PRIMARY KEY, id BIGINT NOT NULL, writer INT NOT NULL, KEY (id)) ENGINE=InnoDB;\n"))
        if rc != 0:
            log(f"creating the table failed: {err.strip()}")
            return 2
        writers = Writers(base - 6, h.secret("app-password"), stop_writers)
        writers.start()
        time.sleep(3)
        st0 = h.status()
        epoch0 = st0.get("epoch") if st0 else None
        faults = run_schedule(schedule, a, violations, describe,
                              inject=lambda f: inject(h, f, None), heal=h.cont_all,
                              switchover=lambda f, sw: switchover(h, f, sw),
                              wait_ready=h.wait_ready)
        h.cont_all()
        # A few more seconds of writes on the healed cluster, then stop the clients.
        time.sleep(3)
        stop_writers.set()
        writers.join()
        ok = check(h, a, seed, writers, faults, epoch0, violations)
    except Exception as e:  # the harness broke: report it, still clean up
        violations.append(f"harness error: {type(e).__name__}: {e}")
        log(violations[-1])
    finally:
        stop_writers.set()
        h.cont_all()
        keep = a.keep or not ok
        if keep:
            # Collect the logs before the purge: the member dirs go with it.
            members = os.path.join(h.dir, "members")
            for name in (os.listdir(members) if os.path.isdir(members) else []):
                dest = os.path.join(work, "member-logs", name)
                os.makedirs(dest, exist_ok=True)
                subprocess.run(["cp", "-r", os.path.join(members, name, "logs"), dest],
                               capture_output=True)
            for name in ("supervisor.log", "haproxy.log", "etcd-0.log", "etcd-1.log",
                         "etcd-2.log"):
                subprocess.run(["cp", os.path.join(h.dir, name), work], capture_output=True)
        h.run("down", "--purge", timeout=120)
        if keep:
            log(f"logs kept in {work}")
        else:
            subprocess.run(["rm", "-rf", work])
    return verdict(violations)


def verdict(violations):
    """Prints every violation; the exit status of a run (both modes)."""
    if violations:
        print("FAILED:", flush=True)
        for v in violations:
            print(f"  - {v}", flush=True)
        return 1
    return 0


# ---- the checker ---------------------------------------------------------------------------
def read_member(port, password, host="127.0.0.1"):
    conn = pymysql.connect(host=host, port=port, user="admin", password=password,
                           connect_timeout=3, read_timeout=30)
    try:
        c = conn.cursor()
        c.execute("SELECT id FROM nemesis.ops")
        ids = [r[0] for r in c.fetchall()]
        c.execute("CHECKSUM TABLE nemesis.ops")
        checksum = c.fetchone()[1]
        c.execute("SELECT @@gtid_current_pos, @@server_id")
        gtid, sid = c.fetchone()
        return ids, checksum, gtid, sid
    finally:
        conn.close()


def check(h, a, seed, writers, faults, epoch0, violations):
    # Every member ready within the bound after the final heal.
    if h.wait_ready(a.recover_bound) is None:
        violations.append(f"not every member was ready within {a.recover_bound:.0f} s "
                          "after the final heal (`status --check`)")
    st = h.status() or {"members": []}
    pw = h.secret("admin-password")
    readers = {m["name"]: (lambda port=m["port"]: read_member(port, pw)) for m in st["members"]}
    errant = {m["name"]: m.get("errant_gtids") for m in st["members"]}
    lost, unknown_committed, changes = judge(writers, readers, errant, etcd_history(h), epoch0,
                                             violations)
    summary(seed, writers, faults, changes, lost, unknown_committed, violations, st)
    return not violations


def judge(writers, readers, errant, hist, epoch0, violations):
    """The checks of the healed cluster, shared by both modes (nemesis.py, netns_nemesis.py).
    readers: {member: a function returning read_member()'s tuple}; errant: {member: its
    errant GTIDs, "" none}; hist: the store's history records (None: the store did not
    answer). Appends to violations; returns (lost per member, unknown ids committed, the
    leader changes after epoch0)."""
    # Replicas apply the last writes: wait (bounded) for equal GTID positions before judging.
    data = {}
    for _ in range(60):
        data = {}
        for name, read in readers.items():
            try:
                data[name] = read()
            except Exception as e:
                data[name] = e
        if (not any(isinstance(d, Exception) for d in data.values())
                and len({d[2] for d in data.values()}) == 1):
            break
        time.sleep(0.5)
    good = {}
    sid_name = {}
    for name, d in data.items():
        if isinstance(d, Exception):
            violations.append(f"{name} could not be read: {d}")
        else:
            good[name] = d[:3]
            sid_name[d[3]] = name
    v, lost, unknown_committed = checker.check_data(writers.acked, writers.unknown,
                                                    writers.failed, good)
    violations += v
    for name, gtids in sorted(errant.items()):
        if gtids:
            violations.append(f"{name} reports errant GTIDs {gtids}")
    if hist is None:
        violations.append("no etcd member answered for the leader history")
        hist = []
    violations += checker.check_acks_in_leadership(writers.acked, hist, sid_name)
    violations += checker.check_ack_order(writers.acked, hist, sid_name)
    changes = [e for e in hist if epoch0 is not None and e["epoch"] > epoch0]
    return lost, unknown_committed, changes


def summary(seed, writers, faults, changes, lost, unknown_present, violations, st,
            describe=describe, fault_type=fault_type, replay="tests/nemesis/run.sh BINARY"):
    ends = sorted(x.end for x in writers.acked)
    print("=" * 78)
    print(f"nemesis summary  seed {seed}  (replay: {replay} --seed {seed})")
    by_type = collections.Counter(fault_type(f) for f, *_ in faults)
    print(f"faults: {len(faults)}  " + ", ".join(f"{k} x{v}" for k, v in sorted(by_type.items())))
    reasons = collections.Counter(e["reason"] for e in changes)
    print(f"leader changes: {len(changes)} ("
          + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")  "
          + " -> ".join(f"{e['name']}" for e in changes))
    sws = [sw for *_, sw in faults if sw]
    if sws:
        print("switchovers requested: " + "; ".join(
            f"--to {s.get('to')}: exit {s.get('rc')} ({s.get('line', '')[:50]})" for s in sws))
    print("worst time without an acknowledged write, per fault (from the writers' acks):")
    worst_all = 0.0
    for i, (f, t_inj, t_heal, t_rec, note, sw) in enumerate(faults):
        lo, hi = t_inj, (t_rec or t_heal) + 1
        gap = checker.worst_gap(ends, lo, hi)
        worst_all = max(worst_all, gap)
        rec = f"ready {t_rec - t_heal:.1f} s after heal" if t_rec else "NOT ready"
        print(f"  {i + 1:2}. {describe(f)[:58]:58} gap {gap:5.1f} s, {rec}")
    print(f"worst: {worst_all:.1f} s")
    print(f"ids acknowledged {len(writers.acked)}, lost {sum(lost.values())} (must be 0), "
          f"unknown {len(writers.unknown)} ({unknown_present} committed), "
          f"failed before commit {len(writers.failed)}")
    print("members: " + ", ".join(f"{m['name']} {m.get('role')} ready={m.get('ready')}"
                                   for m in st["members"]))
    print("result: " + ("OK" if not violations else f"{len(violations)} violation(s)"))
    print("=" * 78, flush=True)


if __name__ == "__main__":
    sys.exit(main())
