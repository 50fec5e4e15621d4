#!/usr/bin/env python3
"""The local end-to-end walkthrough of docs/kubernetes.md, run by the pod simulator against the
rendered manifests and the real mysqlset, mariadbd and mariabackup.

    python3 test_walkthrough.py --manifests RENDERED.yaml --binary build/src/cmd/mysqlset

Steps share one simulated cluster and run in order; a step that fails makes the steps that
depend on it fail at once (reported as such) instead of waiting out their timeouts. Prints
`N passed, M failed` last and exits non-zero when anything failed. Needs root.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import podsim  # noqa: E402

DB = "podsim_walkthrough"
AGENT_PORT = 8080
ROUTER = "mysql-router"
# `kubectl exec <primary> -c agent -- mysqlset switchover ...` (docs/roles.md, docs/kubernetes.md).
SWITCHOVER_ARGV = ["mysqlset", "switchover", "--agent", f"http://127.0.0.1:{AGENT_PORT}"]


class AckWriter:
    """An application on the `app` account that inserts unique ids through mysql-primary (the
    first router pod's write port), one statement at a time, and records each acknowledged
    insert: (id, monotonic time of the OK, @@server_id of the member that took it). An insert
    that fails or times out is not acknowledged (its outcome may be unknown) and the next id
    is tried after a short pause."""

    def __init__(self, w, table, timeout=6):
        self.w, self.table, self.timeout = w, table, timeout
        self.acked = []  # (id, t, server_id)
        self.failed = []
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="ack-writer")

    def _run(self):
        sim = self.w.sim
        name, ip = sim.endpoints("mysql-primary")[0]
        port = sim.service_port("mysql-primary", name)
        i = 0
        while not self.stop_ev.is_set() and i < 20000:
            i += 1
            try:
                rows = self.w.sql(ip, f"INSERT INTO {DB}.{self.table} VALUES ({i}, @@server_id); "
                                      "SELECT @@server_id", timeout=self.timeout, port=port,
                                  user="app")
                self.acked.append((i, time.monotonic(), int(rows[0][0])))
            except Exception as e:  # refused, cut or timed out: not acknowledged
                self.failed.append(f"{type(e).__name__}: {str(e)[:100]}")
                self.stop_ev.wait(0.1)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(self.timeout + 30)

    def wait_acks(self, what, n, timeout, server_id=None):
        """Waits until n more inserts (on server_id, if given) are acknowledged than now."""
        def count():
            return sum(1 for _, _, sid in list(self.acked)
                       if server_id is None or sid == server_id)
        base = count()
        self.w.sim.wait(what, lambda: count() >= base + n, timeout, 0.1)

    def first_ack_on(self, server_id, after):
        return next((t for _, t, sid in list(self.acked) if sid == server_id and t >= after),
                    None)


class WritableSampler:
    """Asks every member `SELECT @@global.read_only` every ~150 ms, all members at once per
    round, from inside each pod's own netns (on its loopback, so a cut-off member is still
    seen), and records every round in which more than one member answered read_only=0. A
    member that does not answer within 1 s (cut off from nothing here: stopped, crashed, or
    restarting) counts as not writable for that round; `rounds` and each member's answers
    show how much was seen."""

    def __init__(self, w, members, interval=0.15):
        self.w, self.members, self.interval = w, list(members), interval
        self.rounds = 0
        self.violations = []
        self.timeline = []  # (t, {member: "0" | "1" | None})
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="writable-sampler")

    def _ask(self, name):
        p = self.w.sim.pod(name)
        if p is None or not os.path.exists(f"/run/netns/{p.netns}"):
            return None
        cnf = os.path.join(self.w.sim.rundir, "admin-client.cnf")
        try:
            return subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{p.netns}", "--", "mariadb",
                 f"--defaults-extra-file={cnf}", "-h", "127.0.0.1", "-P", "3306",
                 "--connect-timeout=1", "-N", "-B", "-e", "SELECT @@global.read_only"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True)
        except OSError:
            return None

    def _run(self):
        start = time.monotonic()
        while not self.stop_ev.is_set():
            t = time.monotonic()
            procs = {m: self._ask(m) for m in self.members}
            seen = {}
            for m, proc in procs.items():
                if proc is None:
                    seen[m] = None
                    continue
                try:
                    out, _ = proc.communicate(timeout=max(0.1, t + 1.0 - time.monotonic()))
                    seen[m] = out.strip() if proc.returncode == 0 else None
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    seen[m] = None
            self.rounds += 1
            self.timeline.append((t, seen))
            writable = sorted(m for m, v in seen.items() if v == "0")
            if len(writable) > 1:
                self.violations.append(f"at {t - start:.2f}s: {' '.join(writable)}")
            self.stop_ev.wait(max(0.0, self.interval - (time.monotonic() - t)))

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(30)

    def first_writable(self, name, after):
        """Monotonic time of the first round from `after` on in which `name` was writable."""
        return next((t for t, seen in list(self.timeline) if t >= after
                     and seen.get(name) == "0"), None)

    def last_writable(self, name):
        """Monotonic time of the last round in which `name` answered read_only=0."""
        return next((t for t, seen in reversed(list(self.timeline)) if seen.get(name) == "0"),
                    None)


class Walkthrough:
    def __init__(self, sim):
        self.sim = sim
        self.results = []  # (name, ok, detail)
        self.broken = None  # name of the failed step that later steps depend on
        self.state = {}

    # -- helpers -----------------------------------------------------------------------------
    def write_client_cnf(self, secret="mysql-secrets", prefix=""):
        secrets = self.sim.secret_data(secret)
        for user in ("admin", "app"):
            path = os.path.join(self.sim.rundir, f"{prefix}{user}-client.cnf")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(f"[client]\nuser={user}\npassword={secrets[f'{user}-password']}\n")

    def sql(self, ip, statement, timeout=20, port=3306, user="admin", prefix=""):
        """Runs SQL as admin (or `user`) on ip:port from the node netns; returns rows as lists
        of str. `prefix`: the second cluster's accounts (orders-)."""
        cnf = os.path.join(self.sim.rundir, f"{prefix}{user}-client.cnf")
        r = self.sim.node_exec(
            ["mariadb", f"--defaults-extra-file={cnf}", "-h", ip, "-P", str(port),
             "--connect-timeout=5", "-N", "-B", "-e", statement], timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"SQL on {ip} failed: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def wait_sql(self, what, ip, statement, expect, timeout=60, port=3306):
        last = [None]

        def ok():
            try:
                last[0] = self.sql(ip, statement, port=port)
            except AssertionError as e:
                last[0] = str(e)
                return False
            return last[0] == expect
        try:
            return self.sim.wait(what, ok, timeout)
        except TimeoutError:
            raise AssertionError(f"{what}: want {expect}, last got {last[0]}")

    def via(self, service, statement, router=0):
        """SQL through a Service: to its endpoint number `router` (a router pod), on the port the
        Service targets, as kube-proxy would send it."""
        eps = self.sim.endpoints(service)
        assert len(eps) > router, f"{service} endpoints: {eps}"
        name, ip = eps[router]
        return self.sql(ip, statement, port=self.sim.service_port(service, name))

    def wait_via(self, what, service, statement, expect, timeout=30):
        """Waits until `statement` through every endpoint of `service` returns `expect` (the
        router marks a member up or down within its check interval)."""
        last = [None]

        def ok():
            try:
                last[0] = [self.via(service, statement, i)
                           for i in range(len(self.sim.endpoints(service)))]
            except AssertionError as e:
                last[0] = str(e)
                return False
            return last[0] and all(rows == expect for rows in last[0])
        try:
            return self.sim.wait(what, ok, timeout)
        except TimeoutError:
            raise AssertionError(f"{what}: want {expect} from every endpoint, last got {last[0]}")

    def agent_status(self, name, path):
        """HTTP status of GET path on a member's agent, or None when it does not answer."""
        try:
            return self.sim.http(self.ip_of(name), AGENT_PORT, "GET", path, timeout=2)[0]
        except Exception:
            return None

    def primaries(self):
        return [p.name for p in self.sim.pods_of(self.sim.set_name)
                if self.agent_status(p.name, "/primary") == 200]

    def wait_primary(self, want=None, timeout=60):
        """The one member whose agent answers GET /primary with 200 (docs/roles.md)."""
        last = [None]

        def ok():
            last[0] = self.primaries()
            return len(last[0]) == 1 and (want is None or last[0][0] == want)
        try:
            self.sim.wait(f"one member answering /primary{f' ({want})' if want else ''}", ok,
                          timeout)
        except TimeoutError:
            raise AssertionError(f"want exactly one member answering GET /primary"
                                 f"{f' ({want})' if want else ''}, got {last[0]}")
        return last[0][0]

    @staticmethod
    def server_id(name):
        return 100 + int(name.rsplit("-", 1)[1])

    def ip_of(self, name):
        p = self.sim.pod(name)
        assert p is not None, f"no pod {name}"
        return p.ip

    @staticmethod
    def assert_drained(pod):
        """The deleted pod's preStop hooks (issue 16) ran: the agent's took the member out of
        the read endpoints, and mariadbd's kept the server up until the routers could notice."""
        for c, want in (("agent", "leaves the read endpoints"),
                        ("mariadbd", "serves no endpoint: waiting")):
            code, out = pod.hooks.get(c, (None, "(did not run)"))
            assert code == 0 and want in out, \
                f"{pod.name}/{c} preStop: exit {code}, want '{want}' in: {out.strip()}"

    def step(self, name, fn, critical=True):
        if self.broken:
            self.results.append((name, False, f"not run: depends on failed step '{self.broken}'"))
            print(f"FAIL {name}: not run (depends on '{self.broken}')", flush=True)
            return
        start = time.monotonic()
        try:
            fn()
            self.results.append((name, True, ""))
            print(f"ok   {name} ({time.monotonic() - start:.0f}s)", flush=True)
        except Exception as e:
            detail = f"{type(e).__name__}: {e}"
            self.results.append((name, False, detail))
            print(f"FAIL {name} ({time.monotonic() - start:.0f}s): {detail}", flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()
            self.dump_logs()
            if critical:
                self.broken = name

    def dump_logs(self):
        """The last lines of every container log, to see why without opening the run dir."""
        sim = self.sim
        with sim.lock:
            pods = sorted(sim.pods.values(), key=lambda p: p.name)
        print(f"--- pods: {sim.describe()}")
        for p in pods:
            for c in p.init_containers + p.containers:
                text = c.logs().strip().splitlines()
                if text:
                    print(f"--- {p.name}/{c.name} ({c.log_path()}), last lines:")
                    for line in text[-12:]:
                        print(f"    {line}")
            for t, msg in p.events[-6:]:
                print(f"--- {p.name} event: {msg}")
        sys.stdout.flush()

    # -- steps -------------------------------------------------------------------------------
    def etcd_forms_a_quorum(self):
        pods = self.sim.wait_workload_ready("etcd", 3, timeout=60)
        names = sorted(p.name for p in pods)
        assert names == ["etcd-0", "etcd-1", "etcd-2"], names
        for p in pods:
            status, body = self.sim.http(p.ip, 2379, "GET", "/health")
            assert status == 200 and '"true"' in body, f"{p.name} /health: {status} {body}"
        # The v3 JSON gateway the agents use answers, and lists every member by its DNS name.
        status, body = self.sim.http(pods[0].ip, 2379, "POST", "/v3/cluster/member/list", "{}")
        assert status == 200, f"member list: {status} {body}"
        for n in names:
            assert f'"http://{n}.etcd:2379"' in body, f"{n} not in member list: {body}"
        print(f"     etcd: {', '.join(f'{p.name}={p.ip}' for p in pods)}")

    def router_is_behind_the_services(self):
        pods = self.sim.wait_workload_ready(ROUTER, 2, timeout=60)
        names = sorted(p.name for p in pods)
        for service, port in (("mysql-primary", 3306), ("mysql-read", 3307)):
            eps = self.sim.endpoints(service)
            assert sorted(n for n, _ in eps) == names, f"{service} endpoints {eps}, want {names}"
            for n, _ in eps:
                got = self.sim.service_port(service, n)
                assert got == port, f"{service} -> {n}:{got}, want {port}"
        # The headless Service still lists the members themselves.
        assert all(n.startswith(f"{self.sim.set_name}-") for n, _ in self.sim.endpoints("mysql"))
        print(f"     routers: {names}")

    def pod_without_ordinal_fails_init(self):
        pod = self.sim.create_bare_pod("db-x")
        init = pod.container("init")
        self.sim.wait("db-x init container to fail",
                      lambda: init.restarts >= 1 and pod.status in ("Init:Error",
                                                                     "Init:CrashLoopBackOff"),
                      30, 0.1)
        assert init.exit_code not in (None, 0), init.exit_code
        lines = [line for line in init.logs().splitlines() if line.strip()]
        assert len(lines) == 1, f"want one clear log line, got {len(lines)}: {lines}"
        line = lines[0]
        assert line.startswith("mysqlset init: error:"), line
        assert "db-x" in line and "ordinal" in line, f"line does not name the bad pod name: {line}"
        assert pod.container("clone").starts == 0, "clone ran after init failed"
        # The kubelet retries the failed init container (1 s, then back-off from 10 s).
        self.sim.wait("db-x init retried", lambda: init.restarts >= 2, 15, 0.1)
        assert len(init.log_paths) >= 2 and pod.container("clone").starts == 0
        assert pod.phase == "Pending" and not pod.ready
        print(f"     db-x init log: {line}")
        self.sim.delete_pod("db-x")
        assert pod.gone.wait(30), "db-x was not torn down"

    def three_pods_ready_in_order(self):
        self.sim.wait_ready(3, timeout=240)
        with self.sim.lock:
            p = {n: self.sim.pods[n] for n in ("mysql-0", "mysql-1", "mysql-2")}
        for a, b in (("mysql-0", "mysql-1"), ("mysql-1", "mysql-2")):
            assert p[b].created_at >= p[a].first_ready_at, \
                f"OrderedReady: {b} created before {a} was ready"
        for n in p:
            assert os.path.exists(os.path.join(self.sim.pvc_path(n), ".mysqlset-complete")), n

    @staticmethod
    def _mounts_of(pid):
        """A process's mount points and their options ({"/tmp": ["rw", ...]})."""
        mounts = {}
        for line in open(f"/proc/{pid}/mountinfo"):
            f = line.split()
            mounts[f[4]] = f[5].split(",")
        return mounts

    def sandbox_matches_manifest(self):
        """Looks at the running agent and mariadbd of mysql-1 from the host through /proc."""
        pod = self.sim.pod("mysql-1")
        agent, mysqld = pod.container("agent").proc.pid, pod.container("mariadbd").proc.pid
        status = dict(line.split(":", 1) for line in open(f"/proc/{agent}/status"))
        assert status["Uid"].split() == ["999"] * 4, status["Uid"]
        assert status["Gid"].split() == ["999"] * 4, status["Gid"]
        assert status["Groups"].split() == ["999"], status["Groups"]
        assert status["NoNewPrivs"].strip() == "1"
        assert int(status["CapBnd"], 16) == 0 and int(status["CapEff"], 16) == 0
        env = dict(e.split("=", 1) for e in
                   open(f"/proc/{agent}/environ").read().split("\0") if "=" in e)
        assert env.get("POD_NAME") == "mysql-1", env
        assert os.stat(f"/proc/{agent}/ns/net").st_ino == \
            os.stat(f"/run/netns/{pod.netns}").st_ino, "agent is not in the pod's netns"
        assert os.stat(f"/proc/{agent}/ns/uts").st_ino == \
            os.stat(f"/proc/{mysqld}/ns/uts").st_ino, "containers do not share the UTS ns"
        r = podsim.run(["nsenter", f"--uts=/proc/{agent}/ns/uts", "hostname"])
        assert r.stdout.strip() == "mysql-1", r.stdout
        hosts = open(f"/proc/{agent}/root/etc/hosts").read()
        for n in ("mysql-0", "mysql-1", "mysql-2"):
            assert f"{self.ip_of(n)}\t{n}.mysql.default.svc.cluster.local" in hosts, hosts
            assert f"{n}.mysql" in hosts, hosts
        mounts = self._mounts_of(agent)
        assert "ro" in mounts["/"], f"root not read-only: {mounts['/']}"
        assert "ro" in mounts["/etc/mysqlset/secrets"]
        assert "rw" in mounts["/var/lib/mysql"] and "rw" in mounts["/tmp"]
        st = os.stat(f"/proc/{agent}/root/etc/mysqlset/secrets/admin-password")
        assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o440, 0, 999), oct(st.st_mode)
        b = os.stat(f"/proc/{agent}/root/usr/local/bin/mysqlset")
        assert (b.st_dev, b.st_ino) == (os.stat(self.sim.binary).st_dev,
                                         os.stat(self.sim.binary).st_ino)
        # The host's /tmp (this run's PVC dirs) is hidden; an init container without a /tmp
        # volume would see an empty, read-only /tmp.
        assert not os.path.exists(f"/proc/{agent}/root{self.sim.rundir}")
        assert not os.path.exists(f"/proc/{agent}/root/run/netns")
        # mariadbd's container mounts the Secret read-only, as in the manifest: its clone step
        # (run before mariadbd, so that a restart can re-clone) authenticates to the donor.
        mounts = self._mounts_of(mysqld)
        assert "ro" in mounts["/etc/mysqlset/secrets"], mounts.get("/etc/mysqlset/secrets")
        # ... and became mariadbd: the clone step exec'd it in place, same pid.
        with open(f"/proc/{mysqld}/comm") as f:
            assert f.read().strip() == "mariadbd"
        assert os.path.exists(f"/proc/{mysqld}/root/etc/mysql/conf.d/my.cnf")

    def write_through_primary(self):
        """On a fresh cluster mysql-0 bootstraps and leads; every router sends writes to it."""
        primary = self.wait_primary("mysql-0")
        self.wait_via("mysql-primary reaches the primary", "mysql-primary",
                      "SELECT @@server_id, @@read_only", [[str(self.server_id(primary)), "0"]])
        self.via("mysql-primary", f"CREATE DATABASE IF NOT EXISTS {DB}; "
                                  f"CREATE TABLE {DB}.t (id INT PRIMARY KEY, v VARCHAR(32)); "
                                  f"INSERT INTO {DB}.t VALUES (1,'one'),(2,'two'),(3,'three')")
        assert self.sql(self.ip_of(primary), f"SELECT COUNT(*) FROM {DB}.t") == [["3"]]
        assert self.via("mysql-primary", f"SELECT COUNT(*) FROM {DB}.t", 1) == [["3"]]

    def read_through_mysql_read(self, want_pods=3, want_rows=None):
        """Every member has the rows (the primary writable, the replicas read-only, distinct
        server_ids); reads through mysql-read reach every replica and never the primary."""
        names = sorted(p.name for p in self.sim.pods_of(self.sim.set_name))
        want = [f"mysql-{i}" for i in range(want_pods)]
        assert names == want, f"members {names}, want {want}"
        primary = self.wait_primary()
        rows = str(want_rows or self.state.get("rows", 3))
        ids = {}
        for name in names:
            ip = self.ip_of(name)
            self.wait_sql(f"{name} has {rows} rows", ip, f"SELECT COUNT(*) FROM {DB}.t",
                          [[rows]])
            (sid, ro), = self.sql(ip, "SELECT @@server_id, @@read_only")
            ids[name] = int(sid)
            want_ro = "0" if name == primary else "1"
            assert ro == want_ro, f"{name}: read_only={ro}, want {want_ro} (primary {primary})"
        assert len(set(ids.values())) == len(ids), f"server_ids not distinct: {ids}"
        for name, sid in ids.items():
            assert sid == self.server_id(name), f"{name}: server_id {sid}"
        replicas = {ids[n] for n in names if n != primary}
        eps = self.sim.endpoints("mysql-read")
        for i, (router, _) in enumerate(eps):
            seen = set()

            def all_seen():
                try:
                    (sid,), = self.via("mysql-read", "SELECT @@server_id", i)
                except AssertionError:
                    return False
                seen.add(int(sid))
                return seen >= replicas
            # mysql-read falls back to the primary while the router has no replica up (by
            # design, haproxy.cfg): right after a switchover or a member's return, a replica
            # that re-points or was just marked healthy may not be up in this router yet. So
            # first reach every replica (each is up), then again: from then on, never the
            # primary.
            self.sim.wait(f"reads through {router} reach every replica {sorted(replicas)}",
                          all_seen, 30, 0.1)
            seen.clear()
            self.sim.wait(f"reads through {router} reach every replica {sorted(replicas)} again",
                          all_seen, 30, 0.1)
            assert ids[primary] not in seen, f"a read through {router} reached the primary"
        print(f"     primary {primary}; mysql-read via {[n for n, _ in eps]} reaches "
              f"{sorted(replicas)}; server_ids {ids}")

    def delete_pod_keeps_data(self):
        marker = os.path.join(self.sim.pvc_path("mysql-1"), ".mysqlset-complete")
        mtime = os.stat(marker).st_mtime_ns
        old = self.sim.pod("mysql-1")
        old_uid, old_ip = old.uid, old.ip
        self.sim.delete_pod("mysql-1")
        assert old.gone.wait(120), "old mysql-1 did not terminate"
        self.assert_drained(old)
        # While mysql-1 is away, the primary takes a write it must catch up on.
        self.via("mysql-primary", f"INSERT INTO {DB}.t VALUES (4,'four')")
        self.state["rows"] = 4
        self.sim.wait("mysql-1 recreated", lambda: (p := self.sim.pod("mysql-1")) is not None
                      and p.uid != old_uid, 30)
        self.sim.wait_ready(3, timeout=120)
        new = self.sim.pod("mysql-1")
        assert new.uid != old_uid
        clone_log = new.container("clone").logs()
        assert "datadir is complete; nothing to do" in clone_log, \
            f"recreated mysql-1 did not reuse its data; clone log:\n{clone_log}"
        assert os.stat(marker).st_mtime_ns == mtime, "completion marker rewritten: data re-cloned"
        print(f"     mysql-1 recreated: IP {old_ip} -> {new.ip}, same PVC, no clone")
        self.read_through_mysql_read(3)

    def scale_up_to_five(self):
        self.sim.scale(5)
        self.sim.wait_ready(5, timeout=300)
        for n in ("mysql-3", "mysql-4"):
            log = self.sim.pod(n).container("clone").logs()
            assert "nothing to do" not in log, f"{n} did not clone:\n{log}"
            assert os.path.exists(os.path.join(self.sim.pvc_path(n), ".mysqlset-complete"))
        self.read_through_mysql_read(5)

    def scale_down_to_three(self):
        p3, p4 = self.sim.pod("mysql-3"), self.sim.pod("mysql-4")
        self.sim.scale(3)
        self.sim.wait("scale down to 3", lambda: [p.name for p in self.sim.pods_of("mysql")] ==
                      ["mysql-0", "mysql-1", "mysql-2"], 180)
        assert p4.gone_at is not None and p3.deleted_at is not None
        assert p3.deleted_at >= p4.gone_at, "mysql-3 deleted before mysql-4 was gone"
        self.sim.wait_ready(3, timeout=60)
        for n in ("mysql-3", "mysql-4"):
            assert os.path.exists(os.path.join(self.sim.pvc_path(n), ".mysqlset-complete")), \
                f"{n}'s PVC was not kept"
        # The primary still takes writes and the remaining replicas follow.
        self.via("mysql-primary", f"INSERT INTO {DB}.t VALUES (5,'five')")
        self.state["rows"] = 5
        self.read_through_mysql_read(3)

    def hung_mariadbd_is_restarted_by_liveness_probe(self):
        """SIGSTOP mariadbd: the agent's /healthz fails, the manifest's liveness probe on the
        mariadbd container fails 3 times and the kubelet kills the container (SIGTERM). The
        test resumes the process once the kill is requested, so it can shut down in time."""
        pod = self.sim.pod("mysql-1")
        c = pod.container("mariadbd")
        before, pid = c.restarts, c.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            probe = c.spec["livenessProbe"]
            budget = (probe.get("initialDelaySeconds", 0) + probe.get("periodSeconds", 10) *
                      (probe.get("failureThreshold", 3) + 1)) * podsim.time_scale() + 20
            self.sim.wait("liveness kill of the hung mariadbd",
                          lambda: c.kill_requested is not None or c.restarts > before, budget, 0.2)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.sim.wait("mariadbd restarted", lambda: c.restarts == before + 1 and c.running, 90)
        assert self.sim.pod("mysql-1") is pod, "a liveness restart must not recreate the pod"
        assert any("liveness probe failed" in m for _, m in pod.events), pod.events[-3:]
        self.sim.wait_ready(3, timeout=120)
        self.read_through_mysql_read(3)

    def crashed_mariadbd_is_restarted(self):
        pod = self.sim.pod("mysql-2")
        c = pod.container("mariadbd")
        before = c.restarts
        old_pid = c.proc.pid
        os.kill(old_pid, signal.SIGKILL)
        # The first restart is immediate; the pod may not even turn unready, as the agent's
        # readiness probe needs 3 failures in a row (as on a real kubelet).
        self.sim.wait("mariadbd restarted", lambda: c.restarts == before + 1 and c.running, 30,
                      0.1)
        assert c.proc.pid != old_pid
        assert self.sim.pod("mysql-2") is pod, "a crashed container must not recreate the pod"
        self.sim.wait_ready(3, timeout=120)
        assert self.sim.pod("mysql-2") is pod
        self.read_through_mysql_read(3)

    def lost_primary_volume_is_not_bootstrapped_over(self):
        """mysql-0, the primary, is lost with its volume (its node gone: no preStop) while the
        replicas keep theirs. The seed's init would bootstrap an empty primary: an empty
        database for writes, every replica broken. Here the cluster is initialized (etcd's
        `initialized` key), so the recreated mysql-0 may only clone. The sync replica takes over
        by failover (semi-sync is on); until a replica follows it no peer is a ready donor, and
        the clone init container waits (a peer that follows the member being cloned is no
        donor). Then mysql-0 clones from a replica of the new primary, never bootstraps, and
        comes back as a read-only replica with every row."""
        pvc = self.sim.pvc_path("mysql-0")
        rows = [[str(self.state.get("rows", 3))]]
        count = f"SELECT COUNT(*) FROM {DB}.t"
        old = self.sim.pod("mysql-0")
        assert self.wait_primary() == "mysql-0"
        self.wait_all_replicating("mysql-0")
        # Renamed while the pod runs (its bind mount follows the directory), so the recreated
        # pod gets a new, empty volume.
        os.rename(pvc, pvc + ".lost")
        # Lost with its node: no preStop hand-over (delete_pod would run one).
        self.sim.delete_pod("mysql-0", force=True)
        assert old.gone.wait(120), "old mysql-0 did not terminate"
        self.sim.wait("mysql-0 recreated", lambda: (p := self.sim.pod("mysql-0")) is not None
                      and p.uid != old.uid, 30)
        pod = self.sim.pod("mysql-0")
        new = self.wait_primary(timeout=60)
        assert new in ("mysql-1", "mysql-2"), f"{new} leads after mysql-0's loss"
        self.sim.wait_ready(3, timeout=180)
        assert self.sim.pod("mysql-0") is pod
        clone = pod.container("clone")
        log = clone.logs()
        assert "bootstrapping" not in log, f"mysql-0 bootstrapped an empty datadir:\n{log}"
        done = [line for line in log.splitlines() if "complete at GTID" in line]
        assert done and "clone from mysql-0" not in done[-1], f"mysql-0 did not clone:\n{log}"
        waited = [line for line in log.splitlines() if "no ready donor" in line]
        for m in ("mysql-0", "mysql-1", "mysql-2"):
            self.wait_sql(f"{m} has every row", self.ip_of(m), count, rows, 30)
        self.sim.wait("mysql-0 answers /replica",
                      lambda: self.agent_status("mysql-0", "/replica") == 200, 60)
        shutil.rmtree(pvc + ".lost", ignore_errors=True)
        print(f"     {new} took over; mysql-0 waited for a donor {len(waited)} time(s), then: "
              f"{done[-1].split('] ', 1)[-1][:120]}")
        self.read_through_mysql_read(3)

    def switchover(self):
        """`kubectl exec` into the primary's agent: `mysqlset switchover --to <replica>`. The
        new primary alone answers /primary, writes through mysql-primary land on it, the old
        primary is a read-only replica with every row, and nothing acknowledged is lost."""
        old = self.wait_primary()
        target = "mysql-2" if old != "mysql-2" else "mysql-1"
        rows = int(self.state.get("rows", 3))
        # Without the cluster's token the agent refuses, and nothing changes.
        status, body = self.sim.http(self.ip_of(old), AGENT_PORT, "POST", "/v1/switchover",
                                     json.dumps({"to": target}),
                                     {"Content-Type": "application/json"})
        assert status in (401, 403), f"unauthenticated switchover: HTTP {status} {body}"
        assert self.primaries() == [old], f"primary changed after a refused request"
        # The target must be a healthy replica in the store's eyes (its member record, written
        # on the agent's next tick): an earlier step may have just re-pointed it.
        self.sim.wait(f"{target} answers /replica",
                      lambda: self.agent_status(target, "/replica") == 200, 60)
        time.sleep(2)
        start = time.monotonic()
        r = self.sim.exec_in(old, "agent", SWITCHOVER_ARGV + ["--to", target], timeout=90)
        took = time.monotonic() - start
        out = (r.stdout + r.stderr).strip()
        assert r.returncode == 0, f"switchover exit {r.returncode}: {out}"
        assert f"{target} is primary" in out, f"no progress line '{target} is primary': {out}"
        assert self.wait_primary(target, timeout=10) == target
        self.wait_via(f"mysql-primary reaches {target}", "mysql-primary",
                      "SELECT @@server_id, @@read_only", [[str(self.server_id(target)), "0"]])
        rows += 1
        # As an application: for a moment each router may still list the old primary too (it
        # marks a server down only after its failed checks), and the old primary refuses the
        # app account's write as read-only, so the application retries. An admin write (READ
        # ONLY ADMIN) would land there and make it errant.
        eps = self.sim.endpoints("mysql-primary")
        name, ip = eps[0]
        port = self.sim.service_port("mysql-primary", name)
        insert = f"INSERT INTO {DB}.t VALUES ({rows},'after switchover')"
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sql(ip, insert, port=port, user="app")
                break
            except AssertionError as e:
                if "read-only" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.state["rows"] = rows
        # Not `SELECT COUNT(*), @@read_only FROM t`: MariaDB 10.11 returns 0 for a boolean
        # system variable beside an aggregate over an InnoDB table, on a read-only server too.
        self.wait_sql(f"old primary {old} is a read-only replica with every row", self.ip_of(old),
                      f"SELECT (SELECT COUNT(*) FROM {DB}.t), @@global.read_only",
                      [[str(rows), "1"]], 30)
        # And it refuses an application's write (the app account has no READ ONLY ADMIN).
        refused = None
        try:
            self.sql(self.ip_of(old), f"INSERT INTO {DB}.t VALUES ({rows + 100},'old primary')",
                     user="app")
        except AssertionError as e:
            refused = str(e)
        assert refused and "read-only" in refused, \
            f"old primary {old}: an app write was not refused as read-only: {refused}"
        self.sim.wait(f"{old} answers /replica", lambda: self.agent_status(old, "/replica") == 200,
                      30)
        self.read_through_mysql_read(3)
        print(f"     {old} -> {target} in {took:.1f}s: " + " | ".join(out.splitlines()[-3:]))


    def deleting_the_primary_hands_over(self):
        """`kubectl delete pod` of the primary (a rolling update, a drain) under a writer: the
        pod's preStop hooks switch over before mariadbd stops, another member leads, every
        acknowledged write is on it, and the pod comes back as a replica with every row."""
        old = self.wait_primary()
        pod = self.sim.pod(old)
        self.sql(self.ip_of(old), f"CREATE TABLE IF NOT EXISTS {DB}.w (id INT PRIMARY KEY)")
        eps = self.sim.endpoints("mysql-primary")
        name, ip = eps[0]
        port = self.sim.service_port("mysql-primary", name)
        acked, failed, stop = [], [], threading.Event()

        def writer():  # an application on the app account; a failed write is just retried
            i = 0
            while not stop.is_set() and i < 10000:
                i += 1
                try:
                    self.sql(ip, f"INSERT INTO {DB}.w VALUES ({i})", timeout=10, port=port,
                             user="app")
                    acked.append(i)
                except Exception as e:
                    failed.append(str(e)[:80])
                    time.sleep(0.1)
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        try:
            self.sim.wait("writes before the deletion", lambda: len(acked) >= 5, 30, 0.1)
            self.sim.delete_pod(old)
            assert pod.gone.wait(90), f"{old} did not terminate"
            new = self.wait_primary(timeout=30)
            assert new != old, f"{old} still leads"
            n = len(acked)
            self.sim.wait("writes on the new primary", lambda: len(acked) >= n + 5, 30, 0.1)
        finally:
            stop.set()
            t.join(30)
        code, out = pod.hooks.get("agent", (None, "(did not run)"))
        assert code == 0 and f"{new} is primary" in out, \
            f"{old}/agent preStop: exit {code}, want '{new} is primary' in: {out.strip()}"
        self.assert_drained(pod)
        self.sim.wait_ready(3, timeout=120)
        assert self.wait_primary() == new
        want = [[str(len(set(acked)))]]
        ids = ",".join(str(i) for i in acked)
        for m in ("mysql-0", "mysql-1", "mysql-2"):
            self.wait_sql(f"{m} has every acknowledged write", self.ip_of(m),
                          f"SELECT COUNT(*) FROM {DB}.w WHERE id IN ({ids})", want, 30)
        self.read_through_mysql_read(3)
        print(f"     {old} -> {new} on deletion; {len(acked)} writes acknowledged, "
              f"{len(failed)} refused and retried; hook: {out.strip().splitlines()[-1]}")

    # -- failover (issue 13): partition, heal, crash -----------------------------------------
    def pod_sql(self, name, statement, user="admin", timeout=10):
        """SQL on a member's own loopback, from inside its netns (as from its agent): reaches a
        member whose network is cut. Returns rows, or raises AssertionError."""
        cnf = os.path.join(self.sim.rundir, f"{user}-client.cnf")
        r = self.sim.pod_exec(name, ["mariadb", f"--defaults-extra-file={cnf}", "-h",
                                     "127.0.0.1", "-P", "3306", "--connect-timeout=2", "-N",
                                     "-B", "-e", statement], timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"SQL on {name}'s loopback failed: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def wait_all_replicating(self, primary, timeout=90):
        """What a user waits for before a fault drill: every other member answers /replica
        (a healthy replica under the lag limit) and the agents agree on the primary."""
        others = [p.name for p in self.sim.pods_of(self.sim.set_name) if p.name != primary]
        self.sim.wait(f"{others} answer /replica",
                      lambda: all(self.agent_status(m, "/replica") == 200 for m in others),
                      timeout)

    def converge(self, writer, members=("mysql-0", "mysql-1", "mysql-2"), timeout=90):
        """Every acknowledged insert is on every member, and all members end with equal
        CHECKSUM TABLE of every walkthrough table (the writer has stopped)."""
        acked = {i for i, _, _ in writer.acked}
        tables = f"{DB}.t, {DB}.w, {DB}.{writer.table}"
        last = {}

        def ok():
            sums = {}
            for m in members:
                try:
                    have = {int(r[0]) for r in self.sql(self.ip_of(m),
                                                          f"SELECT id FROM {DB}.{writer.table}")}
                    sums[m] = self.sql(self.ip_of(m), f"CHECKSUM TABLE {tables}")
                except AssertionError as e:
                    last[m] = str(e)
                    return False
                last[m] = f"missing {sorted(acked - have)[:10]}" if acked - have else sums[m]
                if acked - have:
                    return False
            return len({json.dumps(v) for v in sums.values()}) == 1
        try:
            self.sim.wait("every member has every acknowledged write and equal checksums", ok,
                          timeout, 0.5)
        except TimeoutError:
            raise AssertionError(f"members did not converge: {last}")
        return len(acked)

    def fault_drill_start(self, table):
        old = self.wait_primary()
        self.wait_all_replicating(old)
        self.sql(self.ip_of(old), f"CREATE TABLE IF NOT EXISTS {DB}.{table} "
                                  "(id INT PRIMARY KEY, sid INT)")
        writer = AckWriter(self, table).start()
        sampler = WritableSampler(self, ["mysql-0", "mysql-1", "mysql-2"]).start()
        try:
            writer.wait_acks("writes before the fault", 5, 30, self.server_id(old))
        except Exception:
            writer.stop()
            sampler.stop()
            raise
        return old, writer, sampler

    def wait_failover(self, old, writer, t0, timeout=60):
        """A member other than `old` answers /primary (seen from the node) and an insert through
        mysql-primary is acknowledged by it. Returns (new, seconds from t0 to that ack)."""
        last = [None]

        def ok():
            last[0] = [m for m in self.primaries() if m != old]
            return len(last[0]) == 1
        try:
            self.sim.wait("another member answering /primary", ok, timeout)
        except TimeoutError:
            raise AssertionError(f"no failover from {old}: /primary answered by {last[0]}")
        new = last[0][0]
        sid = self.server_id(new)
        self.sim.wait(f"an acknowledged write on {new}",
                      lambda: writer.first_ack_on(sid, t0) is not None, timeout, 0.1)
        return new, writer.first_ack_on(sid, t0) - t0

    def partition_of_the_primary_fails_over(self):
        """The primary pod's veth set down (a partition: routers, peers, etcd and the kubelet
        lose it) under a writer and a read_only sampler: a replica takes over, writes through
        mysql-primary are acknowledged by it, and the old primary, seen from inside its own
        netns, fences itself (read_only=1, an app write refused)."""
        old, writer, sampler = self.fault_drill_start("f")
        self.state["drill"] = (old, writer, sampler)
        t0 = time.monotonic()
        self.sim.set_link(old, False)
        self.state["cut"] = old
        new, took = self.wait_failover(old, writer, t0)
        self.state["partition"] = (new, took)

        how = []

        def fenced():
            """read_only=1, or no server at all: the fence SIGKILLed mariadbd (a commit waited
            for an ack) and the kubelet restarts it, read-only from the option file."""
            try:
                ro = self.pod_sql(old, "SELECT @@global.read_only") == [["1"]]
                how[:] = ["read_only=1"] if ro else []
                return ro
            except AssertionError as e:
                if "Can't connect" in str(e):
                    how[:] = ["mariadbd killed by the fence"]
                    return True
                return False
        self.sim.wait(f"{old} fences itself (read_only=1 on its loopback)", fenced, 30)
        fenced_at = time.monotonic()
        if how == ["read_only=1"]:
            refused = None
            try:
                self.pod_sql(old, f"INSERT INTO {DB}.f VALUES (0, 0)", user="app")
            except AssertionError as e:
                refused = str(e)
            assert refused and "read-only" in refused, \
                f"cut-off {old}: an app write was not refused as read-only: {refused}"
            how.append("an app insert refused")
        writer.wait_acks(f"more writes on {new}", 5, 30, self.server_id(new))
        lw, fw = sampler.last_writable(old), sampler.first_writable(new, t0)
        print(f"     {old} cut off -> {new} leads; first write acknowledged by {new} "
              f"{took:.1f}s after the cut; sampled: {old} last writable "
              f"{(lw - t0) if lw else float('nan'):.1f}s, {new} first writable "
              f"{(fw - t0) if fw else float('nan'):.1f}s after it; {old} seen fenced "
              f"({', '.join(how)}) by {fenced_at - t0:.1f}s; {len(writer.acked)} "
              f"acknowledged so far")

    def drill_end(self, old, new, writer, sampler, since, before_rejoin=None):
        """The end of a fault drill: `old` answers /replica as a replica of `new`, which takes
        more writes; then the writer and sampler stop (also on failure), no sampling round saw
        two writable members, and the members converge. Returns (seconds from `since` to the
        rejoin, acknowledged writes)."""
        try:
            if before_rejoin:
                before_rejoin()
            self.path = self.rejoin(old)
            rejoined = time.monotonic() - since
            assert self.wait_primary() == new
            writer.wait_acks(f"writes on {new} with {old} back", 5, 30, self.server_id(new))
        finally:
            writer.stop()
            sampler.stop()
            self.state.pop("drill", None)
        assert not sampler.violations, \
            f"two members writable at once: {sampler.violations[:5]} ({sampler.rounds} rounds)"
        n = self.converge(writer)
        self.read_through_mysql_read(3)
        return rejoined, n

    def rejoin(self, old):
        """Waits until `old` answers /replica. An old primary whose fence SIGKILLed mariadbd
        while a commit waited for an ack that never came (no replica had received it) commits
        that unacknowledged tail in crash recovery, and its binlog has diverged from the new
        primary's (error 1236): its agent reports it errant and, after 3 checks over 30 s,
        requests a re-clone (DATA/.mysqlset-reclone, docs/roles.md "Errant transactions"),
        kills mariadbd and exits (--kill-server-to-reclone). The mariadbd container's restart
        runs the clone step before mariadbd, which sets the datadir aside (never deleted) and
        clones: no pod deletion, nobody's action. Returns how it rejoined."""
        pvc = self.sim.pvc_path(old)
        request = os.path.join(pvc, ".mysqlset-reclone")
        requested = []
        kept_before = {n for n in os.listdir(pvc) if n.startswith("mysql.discarded")}

        def kept():  # set aside by this rejoin, not by an earlier drill
            return sorted(n for n in os.listdir(pvc)
                          if n.startswith("mysql.discarded") and n not in kept_before)

        def state():
            if os.path.exists(request) and not requested:
                with open(request) as f:
                    requested.append(f.read().strip().replace("\n", " "))
            if self.agent_status(old, "/replica") == 200:
                return "rejoined"
            return None
        self.sim.wait(f"{old} answers /replica (rejoined, or re-cloned on its own)", state, 300)
        if not requested and not kept():
            return "rejoined as it was"
        assert kept(), f"{old} was re-cloned but its diverged datadir was not kept aside"
        restarts = sum(c.restarts for c in self.sim.pod(old).containers)
        return (f"diverged, re-cloned on its own in the same pod ({(requested or ['?'])[0][:160]}; "
                f"kept {kept()[-1]}; {restarts} container restarts)")

    def heal_rejoins_the_old_primary(self):
        """The veth set up again: the old primary rejoins as a replica of the new one and
        catches up; no acknowledged write is lost, no two members were ever writable in the
        same sampling round, and every member ends with equal checksums."""
        old, writer, sampler = self.state["drill"]
        new, took = self.state["partition"]
        self.sim.set_link(old, True)
        self.state.pop("cut", None)
        rejoined, n = self.drill_end(old, new, writer, sampler, time.monotonic())
        print(f"     {old} back as a replica of {new} {rejoined:.1f}s after the heal "
              f"({self.path}); {n} "
              f"acknowledged writes on every member, {len(writer.failed)} failed or unknown; "
              f"{sampler.rounds} read_only rounds, never two writable; failover took "
              f"{took:.1f}s")

    def crash_of_the_primary_fails_over(self):
        """The primary pod's node crashes: every process of the pod SIGKILLed at once and its
        network gone, no preStop, no SIGTERM, nothing restarted. A replica takes over without
        loss. Then the node is back (the pod force-deleted, as `kubectl delete pod --force`
        does for a pod on a lost node): the StatefulSet recreates the pod with its volume, it
        rejoins as a replica, and checksums converge."""
        old, writer, sampler = self.fault_drill_start("c")
        self.state["drill"] = (old, writer, sampler)
        t0 = time.monotonic()
        pod = self.sim.crash_pod(old)
        new, took = self.wait_failover(old, writer, t0)
        writer.wait_acks(f"more writes on {new}", 5, 30, self.server_id(new))

        lw, fw = sampler.last_writable(old), sampler.first_writable(new, t0)
        print(f"     sampled: {old} last writable {(lw - t0) if lw else float('nan'):.1f}s, "
              f"{new} first writable {(fw - t0) if fw else float('nan'):.1f}s after the crash")

        def node_back():
            self.sim.delete_pod(old, force=True)
            assert pod.gone.wait(60), f"crashed {old} was not torn down"
            self.sim.wait(f"{old} recreated and running", lambda: (p := self.sim.pod(old))
                          is not None and p.uid != pod.uid and p.phase == "Running", 120)
        rejoined, n = self.drill_end(old, new, writer, sampler, t0, node_back)
        print(f"     {old} crashed -> {new} leads; first write acknowledged by {new} "
              f"{took:.1f}s after the crash; {old} recreated and rejoined {rejoined:.1f}s "
              f"after the crash ({self.path}); {n} acknowledged writes on every member, "
              f"{len(writer.failed)} failed or unknown; {sampler.rounds} read_only rounds, "
              f"never two writable")

    def errant_replica_is_recloned_in_its_pod(self):
        """A transaction written straight into a replica (the admin account has READ ONLY
        ADMIN), in another GTID domain as in issue 13's report, under a writer: the agent
        reports it errant and, after 3 checks over 30 s, asks for a re-clone, kills mariadbd
        and exits. The mariadbd container's restart runs the clone step: the datadir is set
        aside (kept), a healthy peer is cloned, and the member serves reads again. The same
        pod (never deleted, nobody's action), the errant row gone, no acknowledged write
        lost, never two members writable, equal checksums."""
        primary = self.wait_primary()
        victim = [n for n in ("mysql-2", "mysql-1", "mysql-0") if n != primary][0]
        pod = self.sim.pod(victim)
        pvc = self.sim.pvc_path(victim)
        kept_before = {n for n in os.listdir(pvc) if n.startswith("mysql.discarded")}
        old, writer, sampler = self.fault_drill_start("errant_drill")
        try:
            self.pod_sql(victim, "SET SESSION gtid_domain_id=77; "
                                 f"INSERT INTO {DB}.t VALUES (7777,'errant')")
            t0 = time.monotonic()
            self.sim.wait(f"{victim} leaves the read endpoint (errant)",
                          lambda: self.agent_status(victim, "/replica") != 200, 30)

            def recloned():
                kept = {n for n in os.listdir(pvc) if n.startswith("mysql.discarded")}
                return bool(kept - kept_before) and self.agent_status(victim, "/replica") == 200
            self.sim.wait(f"{victim} re-cloned in its pod and replicating", recloned, 240)
            took = time.monotonic() - t0
            writer.wait_acks(f"writes on {old} after the re-clone", 5, 30, self.server_id(old))
        finally:
            writer.stop()
            sampler.stop()
        assert self.sim.pod(victim) is pod, f"{victim} was deleted and recreated, not healed"
        assert not sampler.violations, \
            f"two members writable at once: {sampler.violations[:5]} ({sampler.rounds} rounds)"
        rows = self.pod_sql(victim, f"SELECT COUNT(*) FROM {DB}.t WHERE id = 7777")
        assert rows == [["0"]], f"the errant row is still on {victim}: {rows}"
        gtids = self.pod_sql(victim, "SELECT @@gtid_binlog_pos")[0][0]
        assert "77-" not in gtids, f"{victim} still holds the errant domain: {gtids}"
        n = self.converge(writer)
        restarts = {c.name: c.restarts for c in pod.containers}
        print(f"     {victim}: errant, re-cloned in {took:.0f}s in the same pod (container "
              f"restarts {restarts}); {n} acknowledged writes on every member")

    def release_drill(self):
        """After a failed drill: the network restored and the writer and sampler stopped, so
        the steps that do not depend on it can still run."""
        if "cut" in self.state:
            try:
                self.sim.set_link(self.state.pop("cut"), True)
            except Exception as e:
                print(f"     could not restore the network: {e}")
        drill = self.state.pop("drill", None)
        if drill:
            drill[1].stop()
            drill[2].stop()

    def second_cluster_side_by_side(self):
        """overlays/second-cluster (namePrefix orders-, its own instance label, Secret, etcd
        and routers) applied beside the first cluster in the same namespace: it comes up on
        its own, every Service of each cluster reaches only that cluster's pods, writes through
        orders-mysql-primary land on an orders member, reads through orders-mysql-read reach
        only orders replicas, neither cluster sees the other's data, and the first one still
        serves."""
        p = "orders-"
        self.sim.add_manifests(self.second)
        self.write_client_cnf(f"{p}mysql-secrets", p)
        self.sim.wait_workload_ready(f"{p}etcd", 3, timeout=90)
        self.sim.wait_workload_ready(f"{p}mysql-router", 2, timeout=60)
        members = self.sim.wait_workload_ready(f"{p}mysql", 3, timeout=240)
        names = sorted(m.name for m in members)
        assert names == [f"{p}mysql-{i}" for i in range(3)], names
        for svc in self.sim.objects["Service"]:
            eps = [n for n, _ in self.sim.endpoints(svc)]
            mine = [n for n in eps if n.startswith(p) == svc.startswith(p)]
            assert eps and mine == eps, f"Service {svc} reaches {eps}"

        def primaries():
            return [m for m in names if self.agent_status(m, "/primary") == 200]
        self.sim.wait(f"one {p}mysql member answering /primary",
                      lambda: len(primaries()) == 1, 60)
        primary = primaries()[0]

        def via(service, statement, user="admin"):
            name, ip = self.sim.endpoints(service)[0]
            return self.sql(ip, statement, port=self.sim.service_port(service, name), user=user,
                            prefix=p)
        self.sim.wait(f"{p}mysql-primary reaches {primary}", lambda: self._try(
            lambda: via(f"{p}mysql-primary", "SELECT @@hostname, @@read_only")) ==
            [[primary, "0"]], 30)
        via(f"{p}mysql-primary", "CREATE DATABASE orders; CREATE TABLE orders.t (id INT PRIMARY "
            "KEY); INSERT INTO orders.t VALUES (1),(2)")
        replicas = set(names) - {primary}
        # Every host a read reached, and the last row count each one showed: a replica applies
        # the insert a moment after the primary acknowledged it (semi-sync acks on receipt),
        # so a read right after the write may see 0 rows; each must show both rows in the end.
        hosts, last = set(), {}

        def all_seen():
            rows = self._try(lambda: via(f"{p}mysql-read",
                                         "SELECT @@hostname, (SELECT COUNT(*) FROM orders.t)"))
            if rows:
                hosts.add(rows[0][0])
                last[rows[0][0]] = rows[0][1]
            return hosts >= replicas and all(last[h] == "2" for h in replicas)
        self.sim.wait(f"reads through {p}mysql-read reach {sorted(replicas)}, each with both rows",
                      all_seen, 30, 0.1)
        assert hosts <= replicas, f"reads reached {sorted(hosts)}, not only {sorted(replicas)}"
        # Neither sees the other's data.
        count = "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{}'"
        assert via(f"{p}mysql-primary", count.format(DB)) == [["0"]]
        assert self.via("mysql-primary", count.format("orders")) == [["0"]]
        self.read_through_mysql_read(3)
        print(f"     {p}mysql: primary {primary}, reads reach {sorted(replicas)}; "
              f"each Service reaches only its own cluster's pods")

    def backups_in_repo(self, member, *flags):
        """`kubectl exec MEMBER -c agent -- mysqlset backups --repo /backups FLAGS` (the agents
        mount the repository volume of deploy/kubernetes/backup)."""
        r = self.sim.exec_in(member, "agent", ["mysqlset", "backups", "--repo", "/backups", *flags])
        assert r.returncode == 0, f"mysqlset backups: exit {r.returncode}: {r.stderr.strip()}"
        return json.loads(r.stdout) if "--json" in flags else r.stdout

    def run_backup_job(self, cronjob, timeout):
        """`kubectl create job --from=cronjob/CRONJOB`: its pod, run once to completion."""
        pod = self.sim.run_job_from_cronjob(cronjob, timeout=timeout)
        log = pod.containers[0].logs()
        assert pod.outcome == "Succeeded", \
            f"job pod {pod.name}: {pod.outcome}; its log ends: {log.strip()[-1500:]}"
        for line in log.splitlines():
            if line.startswith(("Backing up", "Backup ", "Verified ")):
                print(f"     {pod.name}: {line}", flush=True)
        return log

    def backup_cronjob_runs(self):
        """deploy/kubernetes/backup: the CronJob's pod spec, run once, backs up the
        least-lagging ready replica (each agent's /v1/status) into the repository volume; the
        primary's agent archives its binlogs there; the verify CronJob's pod takes a backup and
        proves it by a restore in its own /tmp (read-only root, uid 999, only the token)."""
        primary = self.wait_primary()
        # A table of its own: the later steps count the rows of {DB}.t.
        self.via("mysql-primary", "CREATE DATABASE IF NOT EXISTS podsim_backup; "
                                  "CREATE TABLE podsim_backup.t (id INT PRIMARY KEY); "
                                  "INSERT INTO podsim_backup.t VALUES (1)")
        log = self.run_backup_job("mysql-backup", timeout=300)
        m = re.search(r"Backing up cluster 'mysql' from (mysql-\d+) ", log)
        assert m, f"no 'Backing up cluster' line in: {log.strip()}"
        source = m.group(1)
        assert source != primary, f"backed up the primary {source}, not a ready replica"
        assert "published in /backups" in log, log.strip()
        listed = self.backups_in_repo(primary, "--json")
        assert [(b["cluster"], b["source_member"], b["verified"]) for b in listed] == \
            [("mysql", source, False)], listed
        # The primary's agent (--archive-repo /backups --archive-interval 30) closes and
        # archives, within about 30 s, a binlog holding a write made after the backup: the
        # recoverable window then runs from the backup to that file's close.
        self.via("mysql-primary", "INSERT INTO podsim_backup.t VALUES (2)")
        last = [""]

        def archived():
            last[0] = self.backups_in_repo(primary)
            n = re.search(r"^Archived binlogs: (\d+)$", last[0], re.M)
            return n and int(n.group(1)) >= 1 and "Recoverable: " in last[0]
        try:
            self.sim.wait("an archived binlog and a recoverable window", archived, 120, 2)
        except TimeoutError:
            raise AssertionError(f"no archived binlog after 120 s: {last[0].strip()}")
        log = self.run_backup_job("mysql-backup-verify", timeout=600)
        assert "Verified " in log, log.strip()
        listed = self.backups_in_repo(primary, "--json")
        assert len(listed) == 2 and listed[0]["verified"] is True, listed

    @staticmethod
    def _try(fn):
        try:
            return fn()
        except AssertionError:
            return None

    def cold_restart_elects_the_last_leader(self):
        """The whole cluster stopped (scaled to 0) and started again: OrderedReady brings
        mysql-0 back first, so a member with data must become ready while it waits for the
        election; once every member is registered, the most advanced one leads (all equal
        here, so the last leader), and writes through mysql-primary land on it."""
        self.wait_primary()
        rows = int(self.state.get("rows", 3))
        self.sim.scale(0)
        # Scaled down from the highest ordinal, each primary's preStop hands the role to a
        # member still up: the last leader is the last one to answer /primary.
        seen = []

        def gone():
            now = self.primaries()
            if now and (not seen or seen[-1] != now[0]):
                seen.append(now[0])
            return not self.sim.pods_of(self.sim.set_name)
        self.sim.wait("every member gone", gone, 180, 0.2)
        assert seen, "no member answered /primary while scaling to 0"
        last = seen[-1]
        print(f"     primaries while scaling to 0: {' -> '.join(seen)}")
        self.sim.scale(3)
        self.sim.wait_ready(3, timeout=240)
        leader = self.wait_primary(timeout=60)
        assert leader == last, f"cold start elected {leader}, want the last leader {last}"
        self.wait_via(f"mysql-primary reaches {leader}", "mysql-primary",
                      f"SELECT @@server_id, COUNT(*) FROM {DB}.t",
                      [[str(self.server_id(leader)), str(rows)]])
        rows += 1
        self.via("mysql-primary", f"INSERT INTO {DB}.t VALUES ({rows},'after cold start')")
        self.state["rows"] = rows
        self.read_through_mysql_read(3)


def leftovers(run_id):
    r = podsim.run(["ip", "netns", "list"], check=False)
    return [n for n in r.stdout.split() if n.startswith(f"podsim-{run_id}-")]


def host_links():
    """The host's network interfaces: the simulator must never add one."""
    r = podsim.run(["ip", "-o", "link", "show"], check=False)
    return {line.split(":")[1].strip() for line in r.stdout.splitlines()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifests", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--keep-logs", action="store_true", help="keep the run dir afterwards")
    ap.add_argument("--short", action="store_true",
                    help="only etcd, the router, start-up, writes, reads (and the switchover)")
    ap.add_argument("--switchover", action="store_true",
                    help="also switch the primary over (needs the agent's roles: issue 12)")
    ap.add_argument("--failover", action="store_true",
                    help="with --switchover, then partition the primary pod and heal it")
    ap.add_argument("--crash", action="store_true",
                    help="with --failover, then crash the primary pod (kill -9, no preStop)")
    ap.add_argument("--cold-restart", action="store_true",
                    help="with --switchover, then restart the whole cluster")
    ap.add_argument("--backup", action="store_true",
                    help="the manifests are deploy/kubernetes/backup's: run its CronJobs once")
    ap.add_argument("--second-cluster", metavar="RENDERED.yaml",
                    help="at the end, apply a second cluster (overlays/second-cluster) beside")
    a = ap.parse_args()
    with open(a.manifests) as f:
        text = f.read()
    links_before = host_links()
    sim = podsim.Simulator(text, a.binary, run_id=os.environ.get("PODSIM_RUN_ID"))
    w = Walkthrough(sim)
    if a.second_cluster:
        with open(a.second_cluster) as f:
            w.second = f.read()
    start = time.monotonic()
    interrupted = False
    try:
        sim.start()
        w.write_client_cnf()
        full = not a.short
        w.step("etcd: 3 members form a quorum", w.etcd_forms_a_quorum)
        w.step("router: 2 HAProxy pods behind mysql-primary and mysql-read",
               w.router_is_behind_the_services)
        if full:
            w.step("pod without an ordinal fails its init container with one line",
                   w.pod_without_ordinal_fails_init, critical=False)
        w.step("3 pods start in order and become ready", w.three_pods_ready_in_order)
        w.step("pod sandbox matches the manifest (user, caps, mounts, hosts, hostname)",
               w.sandbox_matches_manifest, critical=False)
        w.step("write through mysql-primary lands on the primary (mysql-0)",
               w.write_through_primary)
        w.step("read through mysql-read: every replica answers, never the primary",
               w.read_through_mysql_read)
        if a.backup:
            w.step("backup CronJobs, run once: a replica backed up, binlogs archived, verified",
                   w.backup_cronjob_runs, critical=False)
        else:
            print("skip backup CronJobs (enable with PODSIM_BACKUP=1)", flush=True)
        if full:
            w.step("deleted mysql-1 comes back with its data, without cloning",
                   w.delete_pod_keeps_data)
            w.step("scale to 5: new pods clone and have the rows", w.scale_up_to_five)
            w.step("scale back to 3: highest ordinals go, PVCs stay", w.scale_down_to_three)
            w.step("killed mariadbd container is restarted in place",
                   w.crashed_mariadbd_is_restarted)
            w.step("hung mariadbd is restarted by the manifest's liveness probe",
                   w.hung_mariadbd_is_restarted_by_liveness_probe)
            w.step("primary mysql-0 lost with its volume: a replica takes over, mysql-0 "
                   "clones from it (never bootstraps an empty primary)",
                   w.lost_primary_volume_is_not_bootstrapped_over)
        if a.switchover:
            w.step("switchover: writes through mysql-primary land on the new primary",
                   w.switchover)
            w.step("deleting the primary's pod hands over first (preStop), no write lost",
                   w.deleting_the_primary_hands_over)
            if a.failover:
                w.step("partition of the primary pod: a replica takes over, the old primary "
                       "fences itself, no acknowledged write lost",
                       w.partition_of_the_primary_fails_over)
                w.step("heal: the old primary rejoins as a replica, members converge",
                       w.heal_rejoins_the_old_primary)
                w.release_drill()
                w.step("an errant replica is re-cloned in its own pod, with no pod deletion",
                       w.errant_replica_is_recloned_in_its_pod)
                w.release_drill()
                if a.crash:
                    w.step("crash of the primary pod (kill -9, no preStop): failover without "
                           "loss, the pod rejoins", w.crash_of_the_primary_fails_over)
                    w.release_drill()
                else:
                    print("skip crash of the primary pod (enable with --crash / "
                          "PODSIM_CRASH=1)", flush=True)
            else:
                print("skip failover (enable with --failover / PODSIM_FAILOVER=1)", flush=True)
            if a.cold_restart:
                w.step("cold restart of every member: the last leader leads again",
                       w.cold_restart_elects_the_last_leader)
            else:
                print("skip cold restart (enable with --cold-restart / PODSIM_COLD_RESTART=1)",
                      flush=True)
        else:
            print("skip switchover (enable with --switchover / PODSIM_SWITCHOVER=1)", flush=True)
        if a.second_cluster:
            w.step("a second cluster beside the first shares nothing with it",
                   w.second_cluster_side_by_side)
        else:
            print("skip second cluster (enable with PODSIM_TWO_CLUSTERS=1)", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted", flush=True)
    finally:
        sim.shutdown()
    left = leftovers(sim.run_id)
    alive = [p for p in sim.tracked if os.path.exists(f"/proc/{p}")]
    links = host_links() - links_before
    clean = not left and not alive and not links
    w.results.append(("cleanup: no namespaces, processes or host links left", clean, ""))
    print(("ok   " if clean else "FAIL ") + "cleanup: no namespaces, processes or host links left"
          + ("" if clean else f": netns {left}, pids {alive}, new host links {sorted(links)}"))
    if interrupted:
        w.results.append(("interrupted", False, "Ctrl-C / SIGTERM"))
    passed = sum(1 for _, ok, _ in w.results if ok)
    failed = len(w.results) - passed
    print(f"logs: {sim.logdir}  (suite took {time.monotonic() - start:.0f}s)")
    if not a.keep_logs and failed == 0:
        import shutil
        shutil.rmtree(sim.rundir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
