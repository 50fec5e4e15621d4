#!/usr/bin/env python3
"""The HA nemesis with network partitions (issue 14; tests/nemesis/README.md, "Partitions").

Runs the rendered Kubernetes manifests in the pod simulator (tests/k8s/simulator/podsim.py):
every mysql member (mariadbd + agent), every etcd member and each router pod in its own
network namespace, joined by a veth to a bridge in a "node" namespace. The same writers and
checker as the local nemesis (nemesis.py, checker.py) judge a seeded random schedule of:

  part-primary   the primary's veth set down (alone against everything)
  part-pair      {primary, sync replica} against the rest: both veths moved to a second,
                 isolated bridge, so the two still reach each other and nothing else
  part-replica   one replica's veth set down
  part-etcd      one etcd member's veth set down
  disk-full      a replica's volume (an ext4 image of DISK_MB, loop-mounted at its PVC
                 directory) filled by fallocate to a few KiB free; healed by removing the file
  slow           a token-bucket (tc tbf) on both ends of a member's veth: a congested link
                 (queueing delay up to the bucket's latency, drops beyond it). This kernel
                 has no sch_netem, so `tc netem` loss/delay cannot run here.
  sigstop        SIGSTOP of a member pod's mariadbd and agent (their process groups)

and a switchover request (`kubectl exec TARGET -c agent -- mysqlset switchover`) in the
middle of 30 % of them. Each is healed after a drawn time, and the next starts once every
member is ready again. Everything lives in namespaces named podsim-<run>-*; the simulator's
shutdown (in a `finally`, and on SIGTERM/SIGINT) removes them, and run_netns.sh sweeps what
a hard crash leaves. Needs root. Exit 0 = every check held; 1 = a violation; 2 = setup.
"""
import argparse
import base64
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "k8s", "simulator"))
import checker  # noqa: E402
import nemesis  # noqa: E402
import podsim  # noqa: E402

SET = "mysql"
MEMBERS = ["mysql-0", "mysql-1", "mysql-2"]
AGENT_PORT = 8080
ROUTER = "mysql-router"
KINDS = [("part-primary", 3), ("part-pair", 3), ("part-replica", 1), ("part-etcd", 2),
         ("slow", 2), ("sigstop", 1), ("disk-full", 2)]
# Each member's volume is an ext4 image of this size, loop-mounted at its PVC directory, so
# that "disk-full" fills a real, size-limited filesystem (and nothing else).
DISK_MB = 1024
FILLER = ".nemesis-fill"
# tbf rates for the "slow" fault: a link this slow queues the cluster's traffic (heartbeats,
# binlog events, etcd keepalives) behind each other, as a congested network does.
SLOW_RATES = ["64kbit", "256kbit", "1mbit"]


def log(msg):
    print(f"[netns-nemesis {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- the schedule (pure: drawn from the seed) ---------------------------------------------
def make_schedule(rng, count, dur_lo, dur_hi):
    """Every fault's kind, target (by role and index), parameters and delays, drawn up front:
    the same seed gives the same schedule. Each fault draws the same number of values whatever
    its kind, so `--faults K` replays the first K faults of a longer run of the same seed."""
    steps = []
    for _ in range(count):
        f = nemesis.draw_fault(rng, KINDS, dur_lo, dur_hi)
        kind = f["kind"]
        role = rng.choice(["primary", "replica"])
        index = rng.randrange(3)
        rate = rng.choice(SLOW_RATES)
        latency = rng.choice([200, 500, 1000])
        slack_kb = rng.choice([0, 64, 1024])
        if kind == "disk-full":
            f["replica_index"] = index % 2
            f["slack_kb"] = slack_kb
        elif kind == "part-replica":
            f["replica_index"] = index % 2
        elif kind == "part-etcd":
            f["etcd_index"] = index
        elif kind in ("slow", "sigstop"):
            f["role"] = role
            f["replica_index"] = index % 2
            if kind == "slow":
                f["rate"], f["latency_ms"] = rate, latency
        sw_draw, sw_after, sw_index = rng.random(), rng.uniform(0.5, 3.0), rng.randrange(2)
        if sw_draw < 0.3:
            f["switchover_after"] = round(min(sw_after, f["duration"]), 1)
            f["switchover_index"] = sw_index
        steps.append(f)
    return steps


def target_text(f):
    if f["kind"] == "part-primary":
        return "the primary"
    if f["kind"] == "part-pair":
        return "{primary, sync replica}"
    if f["kind"] in ("part-replica", "disk-full"):
        return f"replica #{f['replica_index']}"
    if f["kind"] == "part-etcd":
        return f"etcd-{f['etcd_index']}"
    return "the primary" if f["role"] == "primary" else f"replica #{f['replica_index']}"


def describe(f):
    d = f"{f['kind']} {target_text(f)}"
    if f["kind"] == "slow":
        d += f" (tbf {f['rate']}, {f['latency_ms']} ms)"
    if f["kind"] == "disk-full":
        d += f" (filled to {f['slack_kb']} KiB free)"
    d += f" for {f['duration']} s"
    if "switchover_after" in f:
        d += f", switchover to replica #{f['switchover_index']} after {f['switchover_after']} s"
    return d


def fault_type(f):
    if f["kind"] in ("slow", "sigstop"):
        return f"{f['kind']} {f['role']}"
    return f["kind"]


# ---- the cluster in the pod simulator ------------------------------------------------------
class Cluster:
    def __init__(self, sim):
        self.sim = sim
        self.secrets = sim.secret_data("mysql-secrets")
        self.isolated_bridge = False
        self.cut = set()       # pods whose veth is down
        self.moved = set()     # pods on the isolated bridge
        self.shaped = set()    # pods with a tbf on their veth
        self.stopped = set()   # process groups SIGSTOPped
        self.filled = set()    # filler files
        self.mounts = []       # loop-mounted volume images
        self.reclones = []     # (member, reason) re-clones asked by agents, done by a deletion
        self.handled = set()   # re-clone requests acted on: (member, inode, mtime)

    def ip(self, name):
        p = self.sim.pod(name)
        return p.ip if p else None

    def agent_get(self, name, path, timeout=2):
        ip = self.ip(name)
        if not ip:
            return None, ""
        try:
            return self.sim.http(ip, AGENT_PORT, "GET", path, timeout=timeout)
        except Exception:
            return None, ""

    def primaries(self):
        return [m for m in MEMBERS if self.agent_get(m, "/primary")[0] == 200]

    def status(self, name):
        code, body = self.agent_get(name, "/v1/status")
        try:
            return json.loads(body) if code == 200 else None
        except ValueError:
            return None

    def etcd_range(self, prefix):
        b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
        body = json.dumps({"key": b64(prefix), "range_end": b64(prefix[:-1] + chr(ord(prefix[-1]) + 1))})
        for p in self.sim.pods_of("etcd"):
            try:
                code, text = self.sim.http(p.ip, 2379, "POST", "/v3/kv/range", body, timeout=3)
                if code == 200:
                    return [json.loads(base64.b64decode(kv["value"]))
                            for kv in json.loads(text).get("kvs", [])]
            except Exception:
                continue
        return None

    def history(self):
        h = self.etcd_range(f"/mysqlset/{SET}/history/")
        return None if h is None else sorted(h, key=lambda e: e["epoch"])

    def ready(self):
        """Every member pod ready (its /readyz, probed by the simulator), exactly one member
        answering /primary and the two others /replica. A member whose agent asked for a
        re-clone is deleted, as docs/roles.md tells a Kubernetes user (the request waits for
        the pod's next start)."""
        self.reclone_requested()
        pods = {p.name: p for p in self.sim.pods_of(SET)}
        if sorted(pods) != MEMBERS or not all(p.ready for p in pods.values()):
            return False
        prim = self.primaries()
        if len(prim) != 1:
            return False
        return all(self.agent_get(m, "/replica")[0] == 200 for m in MEMBERS if m != prim[0])

    def reclone_requested(self):
        """Deletes a member's pod once per request: the request stays until the next pod's
        clone init container acts on it, and that pod must not be deleted in turn."""
        for m in MEMBERS:
            req = os.path.join(self.sim.pvc_path(m), ".mysqlset-reclone")
            p = self.sim.pod(m)
            try:
                st = os.stat(req)
            except FileNotFoundError:
                continue
            key = (m, st.st_ino, st.st_mtime_ns)
            if p is not None and not p.stopping.is_set() and key not in self.handled:
                self.handled.add(key)
                with open(req) as f:
                    reason = f.read().strip().replace("\n", " ")
                log(f"{m} asks for a re-clone ({reason[:120]}): kubectl delete pod {m}")
                self.reclones.append((m, reason))
                self.sim.delete_pod(m)

    def wait_ready(self, bound):
        t0 = time.monotonic()
        while time.monotonic() - t0 <= bound:
            if self.ready():
                return time.monotonic() - t0
            time.sleep(0.5)
        return None

    # ---- volumes -----------------------------------------------------------------------
    def make_disks(self):
        """Before the pods start: each member's PVC directory becomes an ext4 image of
        DISK_MB (sparse) loop-mounted there. remove_disks() undoes it."""
        d = os.path.join(self.sim.rundir, "disks")
        os.makedirs(d, exist_ok=True)
        for m in MEMBERS:
            img, mnt = os.path.join(d, f"{m}.img"), self.sim.pvc_path(m)
            os.makedirs(mnt, exist_ok=True)
            podsim.run(["truncate", "-s", f"{DISK_MB}M", img])
            podsim.run(["mkfs.ext4", "-q", "-m", "0", img], timeout=60)
            podsim.run(["mount", "-o", "loop", img, mnt])
            self.mounts.append((mnt, img))

    def remove_disks(self):
        """After the simulator's shutdown (no process holds them): unmounts (the loop device
        goes with it) and deletes the images."""
        for mnt, img in self.mounts:
            r = podsim.run(["umount", mnt], check=False, timeout=60)
            if r.returncode != 0:
                log(f"umount {mnt}: {r.stderr.strip()}; detaching it lazily")
                podsim.run(["umount", "-l", mnt], check=False, timeout=60)
            try:
                os.unlink(img)
            except OSError:
                pass
        self.mounts = []

    def fill(self, name, slack_kb):
        """Fills the member's volume to slack_kb KiB free with one fallocated file."""
        path = os.path.join(self.sim.pvc_path(name), FILLER)
        self.filled.add(path)
        # mariadbd writes meanwhile (relay logs under load), and ext4 needs blocks of its own
        # for the extents: the free space read can be gone by the time fallocate runs (a long
        # run failed on that). Read again and leave a little more slack each try.
        err = ""
        for extra_kb in (0, 1024, 4096, 16384):
            st = os.statvfs(self.sim.pvc_path(name))
            size = st.f_bavail * st.f_frsize - (slack_kb + extra_kb) * 1024
            if size <= 0:
                return False
            r = podsim.run(["fallocate", "-l", str(size), path], timeout=60, check=False)
            if r.returncode == 0:
                return True
            err = (r.stderr or r.stdout or "").strip()
        raise RuntimeError(f"fallocate on {path} failed 4 times: {err}")

    # ---- faults ------------------------------------------------------------------------
    def node(self, *argv):
        podsim.run(["ip", "-n", self.sim.node_ns] + list(argv))

    def set_down(self, name):
        self.sim.set_link(name, False)
        self.cut.add(name)

    def isolate_group(self, names):
        """Moves the pods' veths (node side) to bridge br-iso: they reach each other and
        nothing else, not even the node (so no probes either), as a partition would."""
        if not self.isolated_bridge:
            self.node("link", "add", "br-iso", "type", "bridge")
            self.node("link", "set", "br-iso", "up")
            self.isolated_bridge = True
        for n in names:
            self.node("link", "set", self.sim.pod(n).host_if, "master", "br-iso")
            self.moved.add(n)

    def shape(self, name, rate, latency_ms):
        """tbf on both ends of the pod's veth: its egress (eth0 in the pod) and its ingress
        (the node side's egress)."""
        p = self.sim.pod(name)
        tbf = ["root", "tbf", "rate", rate, "burst", "4kb", "latency", f"{latency_ms}ms"]
        podsim.run(["tc", "-n", self.sim.node_ns, "qdisc", "add", "dev", p.host_if] + tbf)
        self.shaped.add(name)
        podsim.run(["tc", "-n", p.netns, "qdisc", "add", "dev", "eth0"] + tbf)

    def freeze(self, name):
        p = self.sim.pod(name)
        for c in ("mariadbd", "agent"):
            proc = p.container(c).proc
            if proc is not None:
                os.killpg(proc.pid, signal.SIGSTOP)
                self.stopped.add(proc.pid)

    def heal(self):
        """Undoes every fault in force; safe to call twice and after a partial injection."""
        for path in list(self.filled):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            self.filled.discard(path)
        for pid in list(self.stopped):
            try:
                os.killpg(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.stopped.discard(pid)
        for n in list(self.shaped):
            p = self.sim.pod(n)
            if p is not None:
                podsim.run(["tc", "-n", self.sim.node_ns, "qdisc", "del", "dev", p.host_if,
                            "root"], check=False)
                podsim.run(["tc", "-n", p.netns, "qdisc", "del", "dev", "eth0", "root"],
                           check=False)
            self.shaped.discard(n)
        for n in list(self.moved):
            p = self.sim.pod(n)
            if p is not None:
                self.node("link", "set", p.host_if, "master", "br0")
            self.moved.discard(n)
        for n in list(self.cut):
            if self.sim.pod(n) is not None:
                self.sim.set_link(n, True)
            self.cut.discard(n)


def inject(c, f):
    """Injects f; returns a note, or None when it cannot be aimed (no single primary)."""
    prim = c.primaries()
    if len(prim) != 1:
        return None
    primary = prim[0]
    reps = [m for m in MEMBERS if m != primary]
    k = f["kind"]
    if k == "part-primary":
        c.set_down(primary)
        return f"{primary} cut off"
    if k == "part-pair":
        st = c.status(primary) or {}
        sync = st.get("sync") or ""
        if sync not in reps:
            return None
        c.isolate_group([primary, sync])
        return f"{primary} + sync replica {sync} against the rest"
    if k == "part-replica":
        t = reps[f["replica_index"]]
        c.set_down(t)
        return f"{t} cut off (primary {primary})"
    if k == "part-etcd":
        t = f"etcd-{f['etcd_index']}"
        c.set_down(t)
        return f"{t} cut off"
    if k == "disk-full":
        t = reps[f["replica_index"]]
        if not c.fill(t, f["slack_kb"]):
            return None
        return f"{t}'s volume filled (primary {primary})"
    t = primary if f["role"] == "primary" else reps[f["replica_index"]]
    if k == "slow":
        c.shape(t, f["rate"], f["latency_ms"])
        return f"{t} behind tbf {f['rate']} (primary {primary})"
    c.freeze(t)
    return f"{t}'s mariadbd and agent stopped (primary {primary})"


def switchover(c, f, result):
    prim = c.primaries()
    reps = [m for m in MEMBERS if m not in prim[:1]]
    to = reps[f["switchover_index"] % len(reps)]
    t0 = time.monotonic()
    try:
        r = c.sim.exec_in(to, "agent", ["mysqlset", "switchover", "--agent",
                                        f"http://127.0.0.1:{AGENT_PORT}", "--to", to,
                                        "--timeout", "30"], timeout=45)
        rc, out = r.returncode, (r.stdout + r.stderr)
    except Exception as e:
        rc, out = None, f"{type(e).__name__}: {e}"
    lines = out.strip().splitlines()
    result.update(to=to, rc=rc, seconds=round(time.monotonic() - t0, 1),
                  line=lines[-1] if lines else "")


# ---- the run -------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifests", required=True, help="kubectl kustomize deploy/kubernetes")
    ap.add_argument("--binary", required=True)
    nemesis.add_schedule_flags(ap, seconds=120, max_duration=10, recover_bound=180)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"netns nemesis seed {seed} (replay: --seed {seed})", flush=True)
    schedule = make_schedule(random.Random(seed), a.faults, a.min_duration, a.max_duration)
    if len(schedule) <= 20:
        for i, f in enumerate(schedule):
            log(f"plan {i + 1}: {describe(f)}")
    with open(a.manifests) as fh:
        text = fh.read()
    sim = podsim.Simulator(text, a.binary, run_id=os.environ.get("PODSIM_RUN_ID"))
    c = Cluster(sim)
    violations = []
    stop = threading.Event()
    writers = None
    ok = False
    try:
        c.make_disks()
        sim.start()
        sim.wait_workload_ready("etcd", 3, timeout=120)
        sim.wait_workload_ready(ROUTER, 2, timeout=120)
        sim.wait_ready(3, timeout=400)
        if c.wait_ready(120) is None:
            log(f"the cluster did not become ready: {sim.describe()}")
            return 2
        primary = c.primaries()[0]
        pw = c.secrets["admin-password"]
        sim.in_node(lambda: sql(c.ip(primary), pw, [
            "CREATE DATABASE nemesis",
            "CREATE TABLE nemesis.ops (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT "
            "NULL, writer INT NOT NULL, KEY (id)) ENGINE=InnoDB"]))
        router, rip = sim.endpoints("mysql-primary")[0]
        writers = nemesis.Writers(sim.service_port("mysql-primary", router),
                                  c.secrets["app-password"], stop, host=rip,
                                  netns=f"/run/netns/{sim.node_ns}", enter=podsim.enter_netns)
        writers.start()
        log(f"writers through {router} ({rip}); primary {primary}")
        time.sleep(3)
        hist0 = c.history() or []
        epoch0 = hist0[-1]["epoch"] if hist0 else None
        faults = nemesis.run_schedule(
            schedule, a, violations, describe, inject=lambda f: inject(c, f), heal=c.heal,
            switchover=lambda f, sw: switchover(c, f, sw), wait_ready=c.wait_ready)
        if any(t_rec is None for _, _, _, t_rec, _, _ in faults):
            log(f"pods: {sim.describe()}")
        c.heal()
        time.sleep(3)
        stop.set()
        writers.join()
        ok = check(c, a, seed, writers, faults, epoch0, violations)
    except (Exception, KeyboardInterrupt) as e:
        violations.append(f"harness error: {type(e).__name__}: {e}")
        log(violations[-1])
    finally:
        stop.set()
        try:
            c.heal()
        except Exception as e:
            log(f"heal at exit: {e}")
        sim.shutdown()
        c.remove_disks()
    left = [n for n in podsim.run(["ip", "netns", "list"], check=False).stdout.split()
            if n.startswith(f"podsim-{sim.run_id}-")]
    if left:
        violations.append(f"namespaces left after the run: {left}")
    if a.keep or not ok or violations:
        log(f"logs kept in {sim.logdir}")
    else:
        subprocess.run(["rm", "-rf", sim.rundir])
    return nemesis.verdict(violations)


def sql(ip, password, statements, user="admin"):
    import pymysql
    conn = pymysql.connect(host=ip, port=3306, user=user, password=password, connect_timeout=3,
                           read_timeout=30, autocommit=True)
    try:
        cur = conn.cursor()
        for s in statements:
            cur.execute(s)
        return cur.fetchall()
    finally:
        conn.close()


def check(c, a, seed, writers, faults, epoch0, violations):
    sim = c.sim
    if c.wait_ready(a.recover_bound) is None:
        violations.append(f"not every member was ready within {a.recover_bound:.0f} s after "
                          f"the final heal: {sim.describe()}")
    pw = c.secrets["admin-password"]
    readers = {m: (lambda m=m: sim.in_node(
        lambda: nemesis.read_member(3306, pw, host=c.ip(m)), timeout=40)) for m in MEMBERS}
    statuses = {m: c.status(m) or {} for m in MEMBERS}
    errant = {m: st.get("errant_gtids") for m, st in statuses.items()}
    lost, unknown_committed, changes = nemesis.judge(writers, readers, errant, c.history(),
                                                     epoch0, violations)
    members = [{"name": m, "role": st.get("role"), "ready": st.get("ready")}
               for m, st in statuses.items()]
    nemesis.summary(seed, writers, faults, changes, lost, unknown_committed, violations,
                    {"members": members}, describe=describe, fault_type=fault_type,
                    replay="tests/nemesis/run_netns.sh BINARY")
    if c.reclones:
        print("re-clones (pod deleted on the agent's request): " +
              "; ".join(f"{m}: {r[:80]}" for m, r in c.reclones), flush=True)
    return not violations


if __name__ == "__main__":
    sys.exit(main())
