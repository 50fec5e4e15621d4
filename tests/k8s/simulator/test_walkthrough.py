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
import signal
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
        mounts = {}
        for line in open(f"/proc/{agent}/mountinfo"):
            f = line.split()
            mounts[f[4]] = f[5].split(",")
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
        # mariadbd's container mounts no Secret, as in the manifest.
        assert not os.path.exists(f"/proc/{mysqld}/root/etc/mysqlset/secrets/admin-password")
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
        """mysql-0's volume is lost while the replicas keep theirs. The seed's init would
        bootstrap an empty primary: an empty database for writes, every replica broken. Here
        the cluster is initialized (etcd's `initialized` key), so mysql-0 may only clone; with
        the primary gone no replica is a ready donor, so its clone init container waits and
        says so, bootstrapping nothing. Restoring the volume brings mysql-0 back with every
        row, and it leads again (it is the last leader)."""
        pvc = self.sim.pvc_path("mysql-0")
        rows = [[str(self.state.get("rows", 3))]]
        count = f"SELECT COUNT(*) FROM {DB}.t"
        old = self.sim.pod("mysql-0")
        # Renamed while the pod runs (its bind mount follows the directory), so the recreated
        # pod gets a new, empty volume.
        os.rename(pvc, pvc + ".lost")
        # Lost with its node: no preStop hand-over (delete_pod would run one, and a replica
        # would lead and be a donor).
        self.sim.delete_pod("mysql-0", force=True)
        assert old.gone.wait(120), "old mysql-0 did not terminate"
        self.sim.wait("mysql-0 recreated", lambda: (p := self.sim.pod("mysql-0")) is not None
                      and p.uid != old.uid, 30)
        pod = self.sim.pod("mysql-0")
        clone = pod.container("clone")
        self.sim.wait("mysql-0's clone container to fail", lambda: clone.restarts >= 1, 90, 0.2)
        errors = [line for line in clone.logs().splitlines() if ": error:" in line]
        assert errors, f"no error line in the clone log:\n{clone.logs()}"
        line = errors[-1]
        assert line.startswith("mysqlset clone: error: clone mysql-0 from"), line
        assert "no ready donor among mysql-1" in line, line
        assert not os.path.exists(os.path.join(pvc, "mysql")), "an empty primary was bootstrapped"
        assert pod.container("mariadbd").starts == 0, "mariadbd started on an empty volume"
        for replica in ("mysql-1", "mysql-2"):
            self.wait_sql(f"{replica} keeps every row", self.ip_of(replica), count, rows, 30)
        print(f"     mysql-0 clone log: {line[:150]}...")
        # The volume restored (swapped in while the failing pod holds the empty one).
        os.rename(pvc, pvc + ".empty")
        os.rename(pvc + ".lost", pvc)
        self.sim.delete_pod("mysql-0")
        assert pod.gone.wait(120), "failing mysql-0 did not terminate"
        self.sim.wait_ready(3, timeout=180)
        self.wait_sql("mysql-0 has every row again", self.ip_of("mysql-0"), count, rows, 30)
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
        seen = set()

        def all_seen():
            rows = self._try(lambda: via(f"{p}mysql-read",
                                         "SELECT @@hostname, (SELECT COUNT(*) FROM orders.t)"))
            if rows:
                seen.add(tuple(rows[0]))
            return {h for h, _ in seen} >= replicas
        self.sim.wait(f"reads through {p}mysql-read reach {sorted(replicas)}", all_seen, 30, 0.1)
        assert {h for h, _ in seen} <= replicas and all(c == "2" for _, c in seen), seen
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
            w.step("mysql-0 with a lost volume refuses to bootstrap over the replicas' data",
                   w.lost_primary_volume_is_not_bootstrapped_over)
        if a.switchover:
            w.step("switchover: writes through mysql-primary land on the new primary",
                   w.switchover)
            w.step("deleting the primary's pod hands over first (preStop), no write lost",
                   w.deleting_the_primary_hands_over)
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
