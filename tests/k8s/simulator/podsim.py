#!/usr/bin/env python3
"""podsim: runs the rendered StatefulSets and Deployments the way a kubelet would, on this
machine, as root (mysqlset's StatefulSet, etcd's, and the router's Deployment).

Each pod is a sandbox made of Linux primitives (see tests/k8s/README.md for the full mapping):

  pod network      a named netns `podsim-<run>-<pod>` with `lo` and `eth0`, a veth whose other end
                   sits on bridge `br0` inside a "node" netns `podsim-<run>-node`; the subnet
                   10.244.X.0/24 exists only inside these namespaces, and nothing routes out
  pod hostname     a UTS namespace held by a pause process (`sleep infinity`)
  container        nsenter (pod netns + UTS) + unshare --mount (private), then an overlay of
                   the host's / as the "image", volumes bind-mounted at their mountPaths, the
                   pod's /etc/hosts, /etc/hostname, /etc/resolv.conf, the built `mysqlset` at
                   /usr/local/bin/mysqlset, chroot, runAsUser/runAsGroup/fsGroup, no_new_privs,
                   capability bounding set dropped, root made read-only; then exec of the
                   manifest's command + args
  probes           httpGet from threads that joined the node netns (setns), as the kubelet does
  StatefulSet      OrderedReady or Parallel creation, recreation of deleted pods with the same
                   name and PVC, scale down from the highest ordinal, PVC directories that are
                   never deleted
  Deployment       pods <name>-<hash>-<random>, replaced under a new name when deleted
  Services         endpoints computed from the Services' selectors and the pods' readiness
  cluster DNS      pod names under headless Services, served on the node bridge's address

Every process the simulator starts is tracked by pid; every mount lives in a private mount
namespace that dies with its processes; every namespace is named podsim-<run>-*. shutdown()
removes all of it and is idempotent; it runs from atexit and from SIGINT/SIGTERM too.

Library use (see test_walkthrough.py):
    sim = Simulator(manifests_text, binary="/path/to/mysqlset")
    sim.start(); sim.wait_ready(3); sim.endpoints("mysql-read"); sim.delete_pod("mysql-1")
    sim.scale(5); sim.shutdown()

Time: PODSIM_TIME_SCALE (default 1.0) multiplies probe initial delays and periods, restart
back-off and termination grace periods. Probe timeouts are never scaled.

Internal entry point: `podsim.py _container SPEC.json` sets up one container's mount
namespace and execs its command (the simulator runs it through nsenter + unshare).
"""

import atexit
import base64
import ctypes
import hashlib
import http.client
import json
import os
import re
import secrets as pysecrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

try:
    import yaml  # python3-yaml (Debian)
except ImportError:  # pragma: no cover - reported as one clear line
    sys.exit("podsim: error: python3-yaml is missing (apt-get install python3-yaml)")

NAMESPACE = "default"
CLUSTER_DOMAIN = "cluster.local"
# The Secret the docs tell users to create (docs/kubernetes.md); the base has none.
SECRET_KEYS = {
    "admin-password": 24,
    "replication-password": 24,
    "backup-password": 24,
    "monitor-password": 24,
    "backup-token": 32,
    "app-password": 24,
}
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24


def time_scale():
    return float(os.environ.get("PODSIM_TIME_SCALE", "1.0"))


def run(argv, check=True, timeout=30, **kw):
    """Runs a short command with a bounded timeout; returns CompletedProcess."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def log(msg):
    print(f"[podsim {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_manifests(text):
    """Returns {kind: {name: object}} of the rendered YAML stream."""
    objs = {}
    for doc in yaml.safe_load_all(text):
        if doc:
            objs.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    return objs


def selector_matches(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand_var_refs(text, env):
    """The kubelet's expansion of command/args: $(VAR) from the container's env, $$ -> $,
    an unknown reference left as written."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return _VAR_REF.sub(sub, text)


def dns_response(query, lookup):
    """Answers one DNS query (RFC 1035) from lookup(name) -> [IPv4] or None (NXDOMAIN). Only A
    records; any other type of a known name gets an empty answer. Returns None for garbage."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack(">HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    i, labels = 12, []
    while True:
        if i >= len(query) or query[i] & 0xC0:
            return None
        n = query[i]
        i += 1
        if n == 0:
            break
        labels.append(query[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(query):
        return None
    qtype = struct.unpack(">H", query[i:i + 2])[0]
    question = query[12:i + 4]
    ips = lookup(".".join(labels).lower())
    answers = (ips or []) if qtype == 1 else []
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (3 if ips is None else 0)
    out = struct.pack(">HHHHHH", qid, rflags, 1, len(answers), 0, 0) + question
    for ip in answers:  # name: pointer to the question's; TTL 1 s
        out += struct.pack(">HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(ip)
    return out


def backoff_seconds(restarts):
    """kubelet's CrashLoopBackOff before the restart numbered `restarts`: the first restart is
    immediate, then 10 s doubling up to 300 s (before scaling)."""
    if restarts <= 1:
        return 0.0
    return min(10 * 2 ** (restarts - 2), 300) * time_scale()


# ---------------------------------------------------------------------------------------------
# Container: one process started through nsenter + unshare + `podsim.py _container`.


class Container:
    def __init__(self, pod, spec, init):
        self.pod = pod
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.proc = None
        self.restarts = 0
        self.starts = 0  # generation: probe threads reset when it changes
        self.started_at = 0.0
        self.exit_code = None
        self.ready = False
        self.restart_at = None  # when a crashed container may start again
        self.log_paths = []
        self.kill_requested = None  # reason, set by a liveness probe

    @property
    def running(self):
        return self.proc is not None

    def log_path(self):
        return self.log_paths[-1] if self.log_paths else None

    def logs(self):
        """Current (last) log text."""
        p = self.log_path()
        if not p or not os.path.exists(p):
            return ""
        with open(p, errors="replace") as f:
            return f.read()

    def start(self):
        pod = self.pod
        sim = pod.sim
        cdir = os.path.join(pod.dir, "containers", f"{self.name}-{self.starts}")
        os.makedirs(os.path.join(cdir, "scratch"), exist_ok=True)
        logp = os.path.join(sim.logdir, f"{pod.name}-{pod.uid}", f"{self.name}-{self.starts}.log")
        os.makedirs(os.path.dirname(logp), exist_ok=True)
        spec_path = os.path.join(cdir, "spec.json")
        with open(spec_path, "w") as f:
            json.dump(pod.container_launch_spec(self.spec, os.path.join(cdir, "scratch")), f)
        argv = ["nsenter", f"--net=/run/netns/{pod.netns}", f"--uts=/proc/{pod.pause.pid}/ns/uts",
                "--", "unshare", "--mount", "--propagation", "private", "--",
                sys.executable, os.path.abspath(__file__), "_container", spec_path]
        with open(logp, "ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env={"PATH": IMAGE_PATH})
        sim.track(self.proc.pid)
        self.log_paths.append(logp)
        self.starts += 1
        self.started_at = time.monotonic()
        self.exit_code = None
        self.ready = False
        self.kill_requested = None

    def poll(self):
        """If the process ended, kills what is left of its group (a pid namespace would) and
        reaps it. Returns the exit code or None while running."""
        if self.proc is None:
            return self.exit_code
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = True
        if info is None:
            return None
        # Group leader is a zombie: its pgid cannot be reused yet, so killpg is safe.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = self.proc.wait(timeout=10)
        self.pod.sim.untrack(self.proc.pid)
        self.proc = None
        self.exit_code = code
        self.ready = False
        return code

    def term(self):
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self, grace):
        """SIGTERM, then SIGKILL of the whole group after `grace` seconds. Bounded."""
        if self.proc is None:
            return
        self.term()
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self.poll() is None:
            time.sleep(0.1)
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.poll() is None:
                time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Probes: a thread per probe, inside the node netns.

_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns {path}: {os.strerror(e)}")
    finally:
        os.close(fd)


def http_get(ip, port, path, timeout):
    try:
        c = http.client.HTTPConnection(ip, port, timeout=timeout)
        c.request("GET", path, headers={"User-Agent": "kube-probe/podsim"})
        r = c.getresponse()
        r.read()
        c.close()
        return 200 <= r.status < 400, f"HTTP {r.status}"
    except Exception as e:  # connection refused, timeout, reset: a failed probe
        return False, f"{type(e).__name__}: {e}"


class Prober(threading.Thread):
    def __init__(self, pod, container, kind, probe):
        super().__init__(daemon=True, name=f"probe-{pod.name}-{container.name}-{kind}")
        self.pod, self.c, self.kind, self.probe = pod, container, kind, probe
        hg = probe.get("httpGet")
        if not hg:
            raise ValueError(f"{pod.name}/{container.name}: only httpGet probes are simulated")
        self.path = hg.get("path", "/")
        self.port = pod.resolve_port(container.spec, hg["port"])
        self.results = []  # (time, ok, detail), bounded

    def run(self):
        enter_netns(f"/run/netns/{self.pod.sim.node_ns}")
        p, s = self.probe, time_scale()
        delay = p.get("initialDelaySeconds", 0) * s
        period = p.get("periodSeconds", 10) * s
        timeout = p.get("timeoutSeconds", 1)
        fail_thr = p.get("failureThreshold", 3)
        ok_thr = p.get("successThreshold", 1)
        gen, fails, oks, next_at = -1, 0, 0, 0.0
        while not self.pod.stopping.is_set():
            c = self.c
            if not c.running:
                gen = -1
                time.sleep(0.1)
                continue
            if c.starts != gen:  # a new start: initial delay again, counters reset
                gen, fails, oks = c.starts, 0, 0
                next_at = c.started_at + delay
            now = time.monotonic()
            if now < next_at:
                time.sleep(min(0.1, next_at - now))
                continue
            ok, detail = http_get(self.pod.ip, self.port, self.path, timeout)
            next_at = time.monotonic() + period
            self.results = (self.results + [(time.time(), ok, detail)])[-20:]
            if c.starts != gen:
                continue
            if ok:
                fails, oks = 0, oks + 1
                if self.kind == "readiness" and oks >= ok_thr:
                    c.ready = True
            else:
                oks, fails = 0, fails + 1
                if fails >= fail_thr:
                    if self.kind == "readiness":
                        c.ready = False
                    elif c.kill_requested is None:
                        c.kill_requested = (f"liveness probe failed {fails} times: "
                                            f"GET :{self.port}{self.path}: {detail}")
                        fails = 0


# ---------------------------------------------------------------------------------------------
# Pod: sandbox + kubelet loop.


class Pod:
    def __init__(self, sim, name, template, ordinal=None, pvc_claims=(), workload=None):
        self.sim = sim
        self.name = name
        self.ordinal = ordinal
        self.workload = workload  # the Workload that owns it, or None for a bare pod
        # A StatefulSet's pods are <name>.<serviceName> in DNS; a bare copy of its template
        # keeps the main set's subdomain, as before.
        self.subdomain = (workload.service_name if workload is not None
                          else sim.service_name)
        self.template = template
        self.spec = template["spec"]
        self.uid = sim.next_uid()
        self.labels = dict(template["metadata"].get("labels", {}))
        if ordinal is not None:
            self.labels["statefulset.kubernetes.io/pod-name"] = name
            self.labels["apps.kubernetes.io/pod-index"] = str(ordinal)
        self.netns = f"podsim-{sim.run_id}-{name}"
        self.dir = os.path.join(sim.rundir, "pods", f"{name}-{self.uid}")
        self.ip = None
        self.pause = None
        self.pvc_claims = set(pvc_claims)  # volume names backed by a PVC dir
        self.init_containers = [Container(self, c, True) for c in self.spec.get("initContainers", [])]
        self.containers = [Container(self, c, False) for c in self.spec["containers"]]
        self.phase = "Pending"
        self.status = "ContainerCreating"
        self.events = []
        self.stopping = threading.Event()
        self.gone = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"pod-{name}")
        self.probers = []
        self.sandbox_ready = False
        self.created_at = time.monotonic()
        self.first_ready_at = None  # noted by the controller
        self.deleted_at = self.gone_at = None
        self.force = False  # deleted without lifecycle hooks (a lost node, `--force`)
        self.grace_override = None  # seconds, instead of terminationGracePeriodSeconds
        self.hooks = {}  # container name -> (exit code or None on timeout, output) of its preStop
        self.outcome = None  # a run-to-completion pod's end: "Succeeded" or "Failed"

    # -- views -----------------------------------------------------------------------------
    @property
    def fqdn(self):
        if not self.subdomain:
            return None
        return f"{self.name}.{self.subdomain}.{NAMESPACE}.svc.{CLUSTER_DOMAIN}"

    @property
    def ready(self):
        return (self.phase == "Running" and not self.stopping.is_set()
                and all(c.running and c.ready for c in self.containers))

    def container(self, name):
        for c in self.init_containers + self.containers:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}: no container {name}")

    def event(self, msg):
        self.events.append((time.time(), msg))
        log(f"{self.name}: {msg}")

    def resolve_port(self, cspec, port):
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for p in cspec.get("ports", []):
            if p.get("name") == port:
                return p["containerPort"]
        raise ValueError(f"{self.name}/{cspec['name']}: no container port named {port!r}")

    # -- sandbox -----------------------------------------------------------------------------
    def create_sandbox(self):
        sim = self.sim
        os.makedirs(self.dir)
        self.ip = sim.alloc_ip()
        run(["ip", "netns", "add", self.netns])
        sim.netns_created.add(self.netns)
        host_if = f"vp{self.uid}"
        run(["ip", "-n", sim.node_ns, "link", "add", host_if, "type", "veth",
             "peer", "name", "eth0", "netns", self.netns])
        run(["ip", "-n", sim.node_ns, "link", "set", host_if, "master", "br0", "up"])
        run(["ip", "-n", self.netns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.netns, "addr", "add", f"{self.ip}/24", "dev", "eth0"])
        run(["ip", "-n", self.netns, "link", "set", "eth0", "up"])
        # No default route: nothing can leave the subnet, and DNS for unknown names fails fast.
        hostname = self.spec.get("hostname", self.name)
        self.pause = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--uts", "sh", "-c",
             'hostname "$1" && exec sleep infinity', "pause", hostname],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        sim.track(self.pause.pid)
        deadline = time.monotonic() + 10
        while True:  # the pause process has its own UTS namespace once the hostname is set
            r = run(["nsenter", f"--uts=/proc/{self.pause.pid}/ns/uts", "hostname"], check=False)
            if r.stdout.strip() == hostname:
                break
            if time.monotonic() > deadline or self.pause.poll() is not None:
                raise RuntimeError(f"{self.name}: pause process did not set hostname")
            time.sleep(0.05)
        # Files the container runtime manages.
        etc = os.path.join(self.dir, "etc")
        os.makedirs(etc)
        self.hosts_file = os.path.join(etc, "hosts")
        with open(self.hosts_file, "w"):
            pass
        with open(os.path.join(etc, "hostname"), "w") as f:
            f.write(hostname + "\n")
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            # The simulator's cluster DNS on the node's bridge address (Simulator._serve_dns);
            # it answers names it does not know with NXDOMAIN at once.
            f.write(f"search {NAMESPACE}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} "
                    f"{CLUSTER_DOMAIN}\nnameserver {sim.subnet}.1\n"
                    f"options ndots:5 timeout:1 attempts:1\n")
        self.volumes = self._materialize_volumes()
        self.sandbox_ready = True

    def _materialize_volumes(self):
        """Returns {volume name: host path}, owned as the kubelet would with fsGroup."""
        sim, sc = self.sim, self.spec.get("securityContext", {})
        fs_group = sc.get("fsGroup")
        vols = {}
        for v in self.spec.get("volumes", []):
            name = v["name"]
            path = os.path.join(self.dir, "volumes", name)
            if "emptyDir" in v:
                os.makedirs(path)
                os.chmod(path, 0o777)  # kubelet creates emptyDirs 0777
                if fs_group is not None:
                    os.chown(path, 0, fs_group)
                    os.chmod(path, 0o2777)
            elif "configMap" in v:
                cm = sim.objects["ConfigMap"][v["configMap"]["name"]]
                self._write_files(path, cm.get("data", {}), v["configMap"].get("defaultMode", 0o644), None)
            elif "persistentVolumeClaim" in v:
                # A claim of its own (not a StatefulSet's template): one directory per claim name,
                # shared by every pod that mounts it (as a ReadWriteMany volume would be).
                vols[name] = sim.pvc_dir(v["persistentVolumeClaim"]["claimName"], fs_group)
                continue
            elif "secret" in v:
                data = sim.secret_data(v["secret"]["secretName"])
                mode = v["secret"].get("defaultMode", 0o644)
                if fs_group is not None:
                    mode |= (mode & 0o700) >> 3  # kubelet: owner bits copied to the group
                if "items" in v["secret"]:  # only the keys listed, at their paths
                    data = {i["path"]: data[i["key"]] for i in v["secret"]["items"]}
                self._write_files(path, data, mode, fs_group)
            else:
                raise ValueError(f"{self.name}: volume {name}: type not simulated: {sorted(v)}")
            vols[name] = path
        for claim in self.pvc_claims:
            vols[claim] = sim.pvc_dir(f"{claim}-{self.name}", fs_group)
        return vols

    @staticmethod
    def _write_files(path, data, mode, group):
        os.makedirs(path)
        os.chmod(path, 0o755)
        for key, value in data.items():
            fp = os.path.join(path, key)
            fd = os.open(fp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(value)
            if group is not None:
                os.chown(fp, 0, group)
            os.chmod(fp, mode)

    def write_hosts(self, entries):
        """Rewrites /etc/hosts in place (same inode), so the bind mounts see the change."""
        own = f"{self.fqdn}\t{self.name}" if self.fqdn else self.name
        lines = ["# Kubernetes-managed hosts file (podsim).", "127.0.0.1\tlocalhost",
                 "::1\tlocalhost ip6-localhost ip6-loopback", f"{self.ip}\t{own}"]
        lines += [e for e in entries if not e.startswith(f"{self.ip}\t")]
        data = ("\n".join(lines) + "\n").encode()
        fd = os.open(self.hosts_file, os.O_WRONLY)
        try:
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)

    def container_launch_spec(self, cspec, scratch):
        """What `podsim.py _container` needs to build one container's view."""
        sc = dict(self.spec.get("securityContext", {}))
        csc = cspec.get("securityContext", {})
        env = {"PATH": IMAGE_PATH, "HOSTNAME": self.spec.get("hostname", self.name), "HOME": "/"}
        for e in cspec.get("env", []):
            if "value" in e:
                env[e["name"]] = str(e["value"])
            elif "valueFrom" in e and "fieldRef" in e["valueFrom"]:
                env[e["name"]] = self.field_ref(e["valueFrom"]["fieldRef"]["fieldPath"])
            elif "valueFrom" in e and "resourceFieldRef" in e["valueFrom"]:
                env[e["name"]] = self.resource_field_ref(cspec, e["valueFrom"]["resourceFieldRef"])
            else:
                raise ValueError(f"{self.name}/{cspec['name']}: env {e['name']}: not simulated")
        env.update(self.sim.env_overrides.get((self.name, cspec["name"]), {}))
        argv = list(cspec.get("command", [])) + [str(a) for a in cspec.get("args", [])]
        mounts = []
        for m in cspec.get("volumeMounts", []):
            if m["name"] not in self.volumes:
                raise ValueError(f"{self.name}/{cspec['name']}: no volume {m['name']}")
            src = self.volumes[m["name"]]
            if m.get("subPath"):
                src = os.path.join(src, m["subPath"])
            ro = m.get("readOnly", False) or any(
                v["name"] == m["name"] and "secret" in v for v in self.spec.get("volumes", []))
            mounts.append({"src": src, "dst": m["mountPath"], "ro": ro})
        etc = os.path.join(self.dir, "etc")
        return {
            "scratch": scratch,
            "argv": [expand_var_refs(a, env) for a in argv],
            "env": env,
            "workdir": cspec.get("workingDir", "/"),
            "mounts": mounts,
            "files": {"/etc/hosts": os.path.join(etc, "hosts"),
                      "/etc/hostname": os.path.join(etc, "hostname"),
                      "/etc/resolv.conf": os.path.join(etc, "resolv.conf"),
                      "/usr/local/bin/mysqlset": self.sim.binary},
            "uid": csc.get("runAsUser", sc.get("runAsUser")),
            "gid": csc.get("runAsGroup", sc.get("runAsGroup")),
            "groups": ([sc["fsGroup"]] if "fsGroup" in sc else []) + sc.get("supplementalGroups", []),
            "read_only_root": csc.get("readOnlyRootFilesystem", False),
            "no_new_privs": csc.get("allowPrivilegeEscalation") is False,
            "drop_all_caps": "ALL" in csc.get("capabilities", {}).get("drop", []),
        }

    def resource_field_ref(self, cspec, ref):
        """The downward API's resourceFieldRef: a container's request or limit, in units of
        `divisor` rounded up; only values the manifest sets (no node allocatable here)."""
        units = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
        def qty(q):
            m = re.fullmatch(r"(\d+)([kMGT]i?|)", str(q))
            if not m:
                raise ValueError(f"{self.name}: quantity {q}: not simulated")
            return int(m.group(1)) * units[m.group(2)]
        name = ref.get("containerName", cspec["name"])
        target = next((c for c in self.spec.get("initContainers", []) + self.spec["containers"]
                       if c["name"] == name), None)
        kind, _, res = ref["resource"].partition(".")
        value = ((target or {}).get("resources", {}).get(kind, {}).get(res)
                 if kind in ("limits", "requests") else None)
        if value is None:
            raise ValueError(f"{self.name}: resourceFieldRef {name} {ref['resource']}: not simulated")
        return str(-(-qty(value) // qty(ref.get("divisor", 1))))

    def field_ref(self, path):
        values = {"metadata.name": self.name, "metadata.namespace": NAMESPACE,
                  "status.podIP": self.ip, "spec.nodeName": "podsim-node",
                  "metadata.uid": f"podsim-{self.uid}"}
        if path not in values:
            raise ValueError(f"{self.name}: fieldRef {path}: not simulated")
        return values[path]

    # -- kubelet loop ----------------------------------------------------------------------
    def _run(self):
        try:
            self._lifecycle()
        except Exception as e:  # keep the simulator alive; the pod shows the failure
            self.status = f"SimulatorError: {e}"
            self.event(f"simulator error: {e!r}")
        finally:
            self._teardown()
            self.gone.set()

    def _wait(self, seconds):
        return self.stopping.wait(seconds)

    def _lifecycle(self):
        grace = self.spec.get("terminationGracePeriodSeconds", 30) * time_scale()
        n = len(self.init_containers)
        for i, c in enumerate(self.init_containers):
            while not self.stopping.is_set():
                self.status = f"Init:{i}/{n}"
                c.start()
                self.event(f"init container {c.name} started")
                while c.poll() is None:
                    if self._wait(0.1):
                        c.stop(grace)
                        return
                if c.exit_code == 0:
                    self.event(f"init container {c.name} completed")
                    break
                c.restarts += 1
                self.status = "Init:Error" if c.restarts == 1 else "Init:CrashLoopBackOff"
                last = c.logs().strip().splitlines()
                delay = max(backoff_seconds(c.restarts), 1.0 * time_scale())
                self.event(f"init container {c.name} failed (exit {c.exit_code}); retry in "
                           f"{delay:.0f}s: {last[-1] if last else '(no output)'}")
                if self._wait(delay):
                    return
            if self.stopping.is_set():
                return
        self.status = "PodInitializing"
        for c in self.containers:
            c.start()
            self.event(f"container {c.name} started")
        self.phase = "Running"
        self.status = "Running"
        for c in self.containers:
            for kind in ("liveness", "readiness"):
                if f"{kind}Probe" in c.spec:
                    p = Prober(self, c, kind, c.spec[f"{kind}Probe"])
                    self.probers.append(p)
                    p.start()
                elif kind == "readiness":
                    c.ready = True  # no readiness probe: ready once running (set on start)
        # A Job's pod (restartPolicy Never, or OnFailure once a container succeeded) runs its
        # containers once; when none is left to run, the pod is Succeeded or Failed.
        policy = self.spec.get("restartPolicy", "Always")
        done = lambda c: not c.running and (policy == "Never" or  # noqa: E731
                                            (policy == "OnFailure" and c.exit_code == 0))
        while not self._wait(0.1):
            crashloop = False
            for c in self.containers:
                c.poll()
                if done(c):
                    continue
                if c.running and c.kill_requested:
                    self.event(f"container {c.name}: {c.kill_requested}; killing it")
                    c.stop(grace)  # then restarted below like any exited container
                if c.running:
                    if "readinessProbe" not in c.spec:
                        c.ready = True
                    continue
                if c.restart_at is None:
                    code = c.exit_code
                    c.restarts += 1
                    c.restart_at = time.monotonic() + backoff_seconds(c.restarts)
                    tail = c.logs().strip().splitlines()
                    self.event(f"container {c.name} exited ({code}); restart #{c.restarts} in "
                               f"{c.restart_at - time.monotonic():.0f}s; last line: "
                               f"{tail[-1] if tail else '(none)'}")
                if time.monotonic() >= c.restart_at:
                    c.restart_at = None
                    c.start()
                    self.event(f"container {c.name} restarted")
                else:
                    crashloop = True
            self.status = "CrashLoopBackOff" if crashloop else "Running"
            if policy != "Always" and all(done(c) for c in self.containers):
                ok = all(c.exit_code == 0 for c in self.containers)
                self.outcome = "Succeeded" if ok else "Failed"
                self.status = "Completed" if ok else "Error"
                self.event(f"{self.outcome}: " + ", ".join(f"{c.name} exited {c.exit_code}"
                                                           for c in self.containers))
                return
        # The kubelet stops all containers in parallel; each gets SIGTERM once its own preStop
        # hook returned, all within the grace period counted from the deletion.
        if self.grace_override is not None:
            grace = self.grace_override
        deadline = time.monotonic() + grace
        hooks = []
        for c in self.containers:
            cmd = (((c.spec.get("lifecycle") or {}).get("preStop") or {}).get("exec")
                   or {}).get("command")
            if cmd and c.running and not self.force:
                t = threading.Thread(target=self._pre_stop_then_term, args=(c, cmd, deadline),
                                     daemon=True, name=f"prestop-{self.name}-{c.name}")
                t.start()
                hooks.append(t)
            else:
                c.term()
        for t in hooks:
            t.join(max(0.0, deadline - time.monotonic()) + 5)
        for c in self.containers:
            c.stop(max(0.0, deadline - time.monotonic()))

    def _pre_stop_then_term(self, c, cmd, deadline):
        """Runs c's preStop exec hook (as `kubectl exec` would), then SIGTERMs c. A hook that
        fails is logged as an event, and the container is stopped anyway (as the kubelet does)."""
        start = time.monotonic()
        try:
            r = self.sim.exec_container(self, c, cmd, timeout=max(0.1, deadline - start))
            code, out = r.returncode, (r.stdout + r.stderr)
        except subprocess.TimeoutExpired as e:
            code, out = None, f"{e.output or ''}{e.stderr or ''} (timed out)"
        except Exception as e:  # the container went away meanwhile
            code, out = None, f"{type(e).__name__}: {e}"
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        self.hooks[c.name] = (code, out)
        with open(os.path.join(self.sim.logdir, f"{self.name}-{self.uid}",
                               f"{c.name}-prestop.log"), "w") as f:
            f.write(out)
        last = out.strip().splitlines()
        self.event(f"preStop of {c.name} exited {code} after {time.monotonic() - start:.1f}s: "
                   f"{last[-1] if last else '(no output)'}")
        c.term()

    def _teardown(self):
        for c in self.init_containers + self.containers:
            c.stop(0)
        for p in self.probers:
            p.join(timeout=10)
        if self.sandbox_ready or self.pause is not None:
            self.sim.kill_netns_pids(self.netns)
        if self.pause is not None:
            try:
                os.kill(self.pause.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pause.wait(timeout=10)
            self.sim.untrack(self.pause.pid)
        self.sim.delete_netns(self.netns)
        # emptyDirs, configMap and secret copies go with the pod; PVC dirs live elsewhere.
        shutil.rmtree(os.path.join(self.dir, "volumes"), ignore_errors=True)
        self.phase = "Gone"
        self.status = "Gone"
        self.gone_at = time.monotonic()

    def delete(self, force=False, grace=None):
        """`kubectl delete pod`: preStop hooks, then SIGTERM, within the grace period; with
        force, no hooks (a lost node, or `--grace-period=0 --force` as far as hooks go); `grace`
        overrides terminationGracePeriodSeconds."""
        if not self.stopping.is_set():
            self.force = force
            self.grace_override = grace
            self.deleted_at = time.monotonic()
            self.status = "Terminating"
            self.event("deleting")
            self.stopping.set()


# ---------------------------------------------------------------------------------------------
# Simulator: StatefulSet and Deployment controllers, Services, cluster DNS, cleanup.


class Workload:
    """A StatefulSet or a Deployment of the manifests, as its controller sees it."""

    def __init__(self, obj):
        spec = obj["spec"]
        self.kind = obj["kind"]
        self.name = obj["metadata"]["name"]
        self.template = spec["template"]
        self.replicas = spec.get("replicas", 1)
        self.service_name = spec.get("serviceName") if self.kind == "StatefulSet" else None
        self.ordered = (self.kind == "StatefulSet" and
                        spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady")
        self.claims = [c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])]
        # A Deployment's pods are <name>-<pod-template-hash>-<5 random characters>.
        self.template_hash = hashlib.sha256(
            json.dumps(self.template, sort_keys=True).encode()).hexdigest()[:10]

    def runs(self, program):
        return any((c.get("command") or [None])[0] == program
                   for c in self.template["spec"]["containers"])


class Simulator:
    def __init__(self, manifests_text, binary, statefulset=None, rundir=None, run_id=None,
                 subnet_octet=None):
        if os.geteuid() != 0:
            raise SystemExit("podsim: error: needs root (namespaces, mounts, setuid)")
        self.objects = parse_manifests(manifests_text)
        sets = self.objects.get("StatefulSet", {})
        if not sets:
            raise ValueError("no StatefulSet in the manifests")
        # Every StatefulSet and Deployment runs; the main one (mysqlset's, unless named) is
        # what set_name, replicas, scale() and wait_ready() talk about.
        self.workloads = [Workload(o) for kind in ("StatefulSet", "Deployment")
                          for o in self.objects.get(kind, {}).values()]
        main = ([w for w in self.workloads if w.name == statefulset] if statefulset else
                [w for w in self.workloads if w.kind == "StatefulSet" and w.runs("mysqlset")])
        self.main = (main or [w for w in self.workloads if w.kind == "StatefulSet"])[0]
        self.sts = sets[self.main.name]
        self.set_name = self.main.name
        self.service_name = self.main.service_name
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise SystemExit(f"podsim: error: {self.binary} is not an executable mysqlset binary")
        self.run_id = run_id or pysecrets.token_hex(3)
        self.rundir = rundir or f"/tmp/podsim-{self.run_id}"
        self.logdir = os.path.join(self.rundir, "logs")
        self.node_ns = f"podsim-{self.run_id}-node"
        self.subnet = f"10.244.{subnet_octet or 100 + int(self.run_id, 16) % 100}"
        self.lock = threading.RLock()
        self.pods = {}  # name -> Pod (including terminating ones, until gone)
        self.bare = set()  # pods not owned by the StatefulSet
        self.env_overrides = {}
        self.netns_created = set()
        self.tracked = set()
        self._uid = 0
        self._ip = 9
        self._secrets = {}
        self._stop = threading.Event()
        self._controller = None
        self._dns = None
        self._shut = False

    @property
    def replicas(self):
        return self.main.replicas

    @replicas.setter
    def replicas(self, n):
        self.main.replicas = n

    def workload(self, name):
        return next(w for w in self.workloads if w.name == name)

    # -- bookkeeping -------------------------------------------------------------------------
    def next_uid(self):
        with self.lock:
            self._uid += 1
            return self._uid

    def alloc_ip(self):
        with self.lock:  # a new IP per pod incarnation, as a CNI would give
            self._ip += 1
            if self._ip > 250:
                raise RuntimeError("podsim: pod IPs exhausted")
            return f"{self.subnet}.{self._ip}"

    def track(self, pid):
        self.tracked.add(pid)

    def untrack(self, pid):
        self.tracked.discard(pid)

    def pvc_dir(self, claim, fs_group):
        path = os.path.join(self.rundir, "pvc", claim)
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o755)
            log(f"PersistentVolumeClaim {claim} bound to {path}")
        st = os.stat(path)
        if fs_group is not None and st.st_gid != fs_group:  # fsGroupChangePolicy OnRootMismatch
            for root, dirs, files in os.walk(path):
                for n in [root] + [os.path.join(root, f) for f in files]:
                    os.chown(n, -1, fs_group)
                    m = os.stat(n).st_mode
                    os.chmod(n, m | 0o060 | (0o2010 if os.path.isdir(n) else 0))
        return path

    def secret_data(self, name):
        if name not in self._secrets:
            if name in self.objects.get("Secret", {}):
                s = self.objects["Secret"][name]
                data = {k: base64.b64decode(v).decode() for k, v in s.get("data", {}).items()}
                data.update(s.get("stringData", {}))
            else:  # the base has none: generate what docs/kubernetes.md tells users to create
                data = {k: pysecrets.token_hex(n) for k, n in SECRET_KEYS.items()}
            self._secrets[name] = data
        return self._secrets[name]

    def pvc_path(self, pod_name, claim="data"):
        return os.path.join(self.rundir, "pvc", f"{claim}-{pod_name}")

    # -- namespaces --------------------------------------------------------------------------
    def kill_netns_pids(self, ns):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            r = run(["ip", "netns", "pids", ns], check=False)
            pids = [int(p) for p in r.stdout.split() if int(p) != os.getpid()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and run(["ip", "netns", "pids", ns],
                                                      check=False).stdout.strip():
                time.sleep(0.1)

    def delete_netns(self, ns):
        if ns in self.netns_created:
            run(["ip", "netns", "delete", ns], check=False)
            self.netns_created.discard(ns)

    def _create_node(self):
        run(["ip", "netns", "add", self.node_ns])
        self.netns_created.add(self.node_ns)
        run(["ip", "-n", self.node_ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.node_ns, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", self.node_ns, "addr", "add", f"{self.subnet}.1/24", "dev", "br0"])
        run(["ip", "-n", self.node_ns, "link", "set", "br0", "up"])

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        os.chmod(self.rundir, 0o711)
        os.makedirs(self.logdir, exist_ok=True)
        atexit.register(self.shutdown)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            if threading.current_thread() is threading.main_thread():
                signal.signal(sig, self._on_signal)
        self._create_node()
        dns_up = threading.Event()
        self._dns = threading.Thread(target=self._serve_dns, args=(dns_up,), daemon=True,
                                     name="cluster-dns")
        self._dns.start()
        if not dns_up.wait(10):
            raise RuntimeError("podsim: the cluster DNS did not start")
        log(f"run {self.run_id}: node netns {self.node_ns}, subnet {self.subnet}.0/24, "
            f"dir {self.rundir}, " + ", ".join(f"{w.kind} {w.name} replicas={w.replicas}"
                                              for w in self.workloads))
        self._controller = threading.Thread(target=self._control_loop, daemon=True,
                                            name="statefulset-controller")
        self._controller.start()

    def add_manifests(self, manifests_text):
        """Applies more rendered manifests to the running simulator (`kubectl apply` of a
        second cluster's overlay): their StatefulSets and Deployments start at once. Names must
        not clash with the objects already there. Returns the new workloads."""
        objs = parse_manifests(manifests_text)
        with self.lock:
            for kind, by_name in objs.items():
                mine = self.objects.setdefault(kind, {})
                clash = sorted(set(by_name) & set(mine))
                if clash:
                    raise ValueError(f"{kind} {', '.join(clash)} already exists")
                mine.update(by_name)
            new = [Workload(o) for kind in ("StatefulSet", "Deployment")
                   for o in objs.get(kind, {}).values()]
            self.workloads.extend(new)
        log("applied " + ", ".join(f"{w.kind} {w.name} replicas={w.replicas}" for w in new))
        return new

    def _on_signal(self, signum, frame):
        # Unwind to the caller's finally (or atexit), which calls shutdown(); a second signal
        # during the cleanup is ignored so that the cleanup can finish.
        if self._shut:
            log(f"signal {signum}: cleanup in progress, ignored")
            return
        log(f"signal {signum}: stopping and cleaning up")
        raise KeyboardInterrupt(f"signal {signum}")

    def _template(self):
        return self.sts["spec"]["template"]

    def _create_pod(self, name, ordinal, claims, template=None, workload=None):
        pod = Pod(self, name, template or self._template(), ordinal, claims, workload)
        self.pods[name] = pod
        try:
            pod.create_sandbox()
        except Exception as e:
            pod.status = f"SandboxError: {e}"
            pod.event(f"sandbox failed: {e}")
        self._update_dns()
        pod.event(f"created, IP {pod.ip}")
        pod.thread.start()
        return pod

    def _control_loop(self):
        while not self._stop.wait(0.2):
            with self.lock:
                for name, p in list(self.pods.items()):
                    if p.gone.is_set():
                        del self.pods[name]
                        self.bare.discard(name)
                        self._update_dns()
                for p in self.pods.values():
                    if p.first_ready_at is None and p.ready:
                        p.first_ready_at = time.monotonic()
                for w in self.workloads:
                    if w.kind == "StatefulSet":
                        self._reconcile_set(w)
                    else:
                        self._reconcile_deployment(w)

    def _reconcile_set(self, w):
        owned = {p.ordinal: p for n, p in self.pods.items()
                 if p.workload is w and n not in self.bare}
        for o in range(w.replicas):
            p = owned.get(o)
            if p is None:
                self._create_pod(f"{w.name}-{o}", o, w.claims, w.template, w)
                if w.ordered:
                    return
            elif w.ordered and not p.ready:
                return
        extra = sorted((o for o in owned if o >= w.replicas), reverse=True)
        if extra:
            owned[extra[0]].delete()  # highest ordinal first, one at a time; the PVC stays

    def _reconcile_deployment(self, w):
        """A Deployment's ReplicaSet: replaces deleted pods with new names, all at once."""
        live = [p for p in self.pods.values() if p.workload is w and not p.stopping.is_set()]
        for _ in range(w.replicas - len(live)):
            suffix = "".join(pysecrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
            self._create_pod(f"{w.name}-{w.template_hash}-{suffix}", None, (), w.template, w)
        for p in live[w.replicas:]:
            p.delete()

    def _update_dns(self):
        """Every pod's /etc/hosts lists every existing pod of a StatefulSet under its headless
        Service (publishNotReadyAddresses), as cluster DNS would resolve them."""
        entries = []
        for p in self.pods.values():
            if p.ip and p.sandbox_ready and not p.gone.is_set() and p.fqdn:
                entries.append(f"{p.ip}\t{p.fqdn}\t{p.name}.{p.subdomain}")
        for p in self.pods.values():
            if p.sandbox_ready and not p.gone.is_set():
                p.write_hosts(entries)

    def dns_lookup(self, name):
        """Cluster DNS: <pod>.<service>.<ns>.svc.<domain> for a StatefulSet's pods, and a
        headless Service's name for its endpoints. None: no such name (NXDOMAIN)."""
        suffix = f".{NAMESPACE}.svc.{CLUSTER_DOMAIN}"
        if not name.endswith(suffix):
            return None
        with self.lock:
            for p in self.pods.values():
                if p.fqdn == name and p.ip and p.sandbox_ready and not p.gone.is_set():
                    return [p.ip]
            svc = self.objects.get("Service", {}).get(name[:-len(suffix)])
            if svc and svc["spec"].get("clusterIP") == "None":
                return [ip for _, ip in self.endpoints(svc["metadata"]["name"])]
        return None

    def _serve_dns(self, up):
        """UDP DNS on the node bridge's address, which every pod's resolv.conf names."""
        enter_netns(f"/run/netns/{self.node_ns}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"{self.subnet}.1", 53))
        sock.settimeout(0.2)
        up.set()
        with sock:
            while not self._stop.is_set():
                try:
                    query, peer = sock.recvfrom(1500)
                except socket.timeout:
                    continue
                try:
                    answer = dns_response(query, self.dns_lookup)
                    if answer:
                        sock.sendto(answer, peer)
                except Exception as e:  # a bad packet must not stop the DNS
                    log(f"dns: {type(e).__name__}: {e}")

    def shutdown(self):
        with self.lock:
            if self._shut:
                return
            self._shut = True
        self._stop.set()
        if self._controller:
            self._controller.join(timeout=5)
        if self._dns:
            self._dns.join(timeout=5)
        pods = list(self.pods.values())
        for p in pods:
            p.delete(force=True, grace=1)  # the run is over: no hand-overs, no clean shutdown
        for p in pods:
            if p.thread.is_alive():
                p.thread.join(timeout=90)
            elif not p.gone.is_set():
                p._teardown()
        for ns in sorted(self.netns_created):  # anything a failed teardown left behind
            self.kill_netns_pids(ns)
            self.delete_netns(ns)
        for pid in list(self.tracked):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        leftovers = [n for n in run(["ip", "netns", "list"], check=False).stdout.split()
                     if n.startswith(f"podsim-{self.run_id}-")]
        for ns in leftovers:
            self.netns_created.add(ns)
            self.kill_netns_pids(ns)
            self.delete_netns(ns)
        log(f"run {self.run_id}: cleaned up ({len(pods)} pods, namespaces removed)")

    # -- API for tests -----------------------------------------------------------------------
    def scale(self, replicas):
        with self.lock:
            log(f"scale {self.set_name} to {replicas}")
            self.replicas = replicas

    def pod(self, name):
        with self.lock:
            return self.pods.get(name)

    def delete_pod(self, name, force=False):
        with self.lock:
            p = self.pods.get(name)
        if p is None:
            raise KeyError(name)
        p.delete(force)
        return p

    def create_bare_pod(self, name, env=None):
        """A Pod made from the StatefulSet's template but not owned by it (volume claims become
        emptyDirs, as in a Pod that copies the template without the claims)."""
        tmpl = json.loads(json.dumps(self._template()))
        for c in self.sts["spec"].get("volumeClaimTemplates", []):
            tmpl["spec"].setdefault("volumes", []).append({"name": c["metadata"]["name"],
                                                           "emptyDir": {}})
        with self.lock:
            for cname, e in (env or {}).items():
                self.env_overrides[(name, cname)] = e
            self.bare.add(name)
            return self._create_pod(name, None, (), tmpl, None)

    def run_job_from_cronjob(self, cronjob, timeout=600):
        """`kubectl create job --from=cronjob/NAME`: one pod from the CronJob's jobTemplate,
        named <job>-<5 characters> as the Job controller names it, run to completion (its
        restartPolicy; no retries: backoffLimit is not simulated). Returns the Pod once it is
        Succeeded or Failed (pod.outcome), and gone."""
        cj = self.objects["CronJob"][cronjob]
        tmpl = json.loads(json.dumps(cj["spec"]["jobTemplate"]["spec"]["template"]))
        suffix = "".join(pysecrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        name = f"{cronjob}-manual-{suffix}"
        with self.lock:
            self.bare.add(name)
            pod = self._create_pod(name, None, (), tmpl, None)
        if not pod.gone.wait(timeout):
            pod.delete(force=True)
            pod.gone.wait(60)
            raise TimeoutError(f"job pod {name} did not finish within {timeout} s")
        return pod

    def endpoints(self, service):
        """Service endpoints as the endpoints controller computes them: [(pod, ip)]."""
        svc = self.objects["Service"][service]
        spec = svc["spec"]
        with self.lock:
            out = []
            for p in sorted(self.pods.values(), key=lambda p: p.name):
                if not p.ip or p.stopping.is_set() or p.phase != "Running":
                    continue
                if not selector_matches(spec.get("selector"), p.labels):
                    continue
                if p.ready or spec.get("publishNotReadyAddresses"):
                    out.append((p.name, p.ip))
            return out

    def wait(self, what, cond, timeout, interval=0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = cond()
            if v:
                return v
            time.sleep(interval)
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}; pods: {self.describe()}")

    def wait_ready(self, n, timeout=240):
        names = {f"{self.set_name}-{i}" for i in range(n)}

        def ok():
            with self.lock:
                owned = {k for k, p in self.pods.items()
                         if p.workload is self.main and k not in self.bare}
                return owned == names and all(self.pods[k].ready for k in names)
        return self.wait(f"{n} ready pods", ok, timeout)

    def pods_of(self, workload):
        """The live (not terminating) pods of a workload, by name."""
        w = self.workload(workload)
        with self.lock:
            return sorted((p for p in self.pods.values()
                           if p.workload is w and not p.stopping.is_set()), key=lambda p: p.name)

    def wait_workload_ready(self, workload, n, timeout=120):
        def ok():
            pods = self.pods_of(workload)
            return len(pods) == n and all(p.ready for p in pods) and pods
        return self.wait(f"{n} ready pods of {workload}", ok, timeout)

    def service_port(self, service, pod_name):
        """The pod port a Service's first port sends to (a named targetPort resolved against
        the pod's containers, as kube-proxy does)."""
        target = self.objects["Service"][service]["spec"]["ports"][0].get("targetPort")
        pod = self.pod(pod_name)
        for c in pod.spec["containers"]:
            try:
                return pod.resolve_port(c, target)
            except ValueError:
                continue
        raise ValueError(f"Service {service}: targetPort {target!r} is not a port of {pod_name}")

    def in_node(self, fn, timeout=60):
        """Runs fn() on a thread that joined the node netns (a client's vantage point)."""
        out = {}

        def body():
            try:
                enter_netns(f"/run/netns/{self.node_ns}")
                out["value"] = fn()
            except BaseException as e:  # handed to the caller
                out["error"] = e
        t = threading.Thread(target=body, daemon=True, name="node-client")
        t.start()
        t.join(timeout)
        if t.is_alive():
            raise TimeoutError(f"node client did not finish in {timeout}s")
        if "error" in out:
            raise out["error"]
        return out["value"]

    def http(self, ip, port, method, path, body=None, headers=None, timeout=5):
        """An HTTP request from the node netns: (status, body text)."""
        def call():
            c = http.client.HTTPConnection(ip, port, timeout=timeout)
            try:
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                return r.status, r.read().decode(errors="replace")
            finally:
                c.close()
        return self.in_node(call, timeout + 5)

    def exec_in(self, pod_name, container, argv, timeout=120):
        """`kubectl exec POD -c CONTAINER -- ARGV`: runs argv in the running container's
        namespaces, root and working directory, as its user, with its environment."""
        pod = self.pod(pod_name)
        return self.exec_container(pod, pod.container(container), argv, timeout)

    def exec_container(self, pod, c, argv, timeout=120):
        if not c.running:
            raise RuntimeError(f"{pod.name}/{c.name} is not running")
        pid = c.proc.pid
        spec = pod.container_launch_spec(c.spec, "/nonexistent")
        cmd = ["nsenter", f"--target={pid}", "--mount", "--net", "--uts", "--root", "--wd"]
        if spec["gid"] is not None:
            cmd.append(f"--setgid={spec['gid']}")
        if spec["uid"] is not None:
            cmd.append(f"--setuid={spec['uid']}")
        cmd += ["--", "env", "-i"] + [f"{k}={v}" for k, v in spec["env"].items()] + argv
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def describe(self):
        with self.lock:
            return ", ".join(
                f"{p.name}[{p.status}{' ready' if p.ready else ''} ip={p.ip} restarts="
                f"{sum(c.restarts for c in p.init_containers + p.containers)}]"
                for p in sorted(self.pods.values(), key=lambda p: p.name))

    def node_exec(self, argv, timeout=30, input=None):
        """Runs argv in the node netns (the kubelet's / a client's vantage point)."""
        return subprocess.run(["ip", "netns", "exec", self.node_ns] + argv, capture_output=True,
                              text=True, timeout=timeout, input=input)


# ---------------------------------------------------------------------------------------------
# `podsim.py _container SPEC`: runs as root inside the pod's netns + UTS ns, in a fresh
# private mount namespace; builds the container's filesystem view and execs its command.


def container_main(spec_path):
    with open(spec_path) as f:
        s = json.load(f)
    scratch = s["scratch"]

    def sh(*argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            sys.stderr.write(f"podsim container setup: {' '.join(argv)}: {r.stderr}")
            sys.exit(128)

    # The "image" is the host's root, seen through an overlay whose upper layer is a tmpfs in
    # this mount namespace: mount points can be created without touching the host's files.
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "podsim", scratch)
    upper, work, root = (os.path.join(scratch, d) for d in ("upper", "work", "root"))
    for d in (upper, work, root):
        os.mkdir(d)
    sh("mount", "-t", "overlay", "overlay", "-o", f"lowerdir=/,upperdir={upper},workdir={work}", root)
    for d in ("dev", "proc", "sys"):
        sh("mount", "--rbind", f"/{d}", os.path.join(root, d))
    sh("mount", "-t", "tmpfs", "-o", "mode=1777", "shm", os.path.join(root, "dev/shm"))
    # An image's /tmp and /run are empty; the host's hold this run's directory (other pods'
    # volumes) and the netns files, which a container must not see.
    image_dirs = [("tmp", "1777"), ("run", "0755")]
    for d, mode in image_dirs:
        sh("mount", "-t", "tmpfs", "-o", f"mode={mode},size=16m", f"image-{d}", os.path.join(root, d))

    def target(path, is_dir):
        t = os.path.join(root, path.lstrip("/"))
        if is_dir:
            os.makedirs(t, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(t), exist_ok=True)
            if not os.path.exists(t):
                open(t, "w").close()
        return t

    # Mount points first (in the writable layers), then the read-only image dirs, then the
    # binds on top: a remount acts on the top-most mount at a path, so order matters.
    binds = [(src, target(dst, False), True) for dst, src in s["files"].items()]
    binds += [(m["src"], target(m["dst"], os.path.isdir(m["src"])), m["ro"]) for m in s["mounts"]]
    if s["read_only_root"]:
        for d, _ in image_dirs:
            sh("mount", "-o", "remount,bind,ro", os.path.join(root, d))
    for src, t, ro in binds:
        sh("mount", "--bind", src, t)
        if ro:
            sh("mount", "-o", "remount,bind,ro", t)
    if s["read_only_root"]:
        sh("mount", "-o", "remount,bind,ro", root)
    os.chroot(root)
    os.chdir(s["workdir"])
    os.umask(0o022)
    libc = ctypes.CDLL(None, use_errno=True)
    if s["drop_all_caps"]:
        for cap in range(64):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
                break  # EINVAL: past the last capability
    if s["gid"] is not None:
        os.setgroups(s["groups"])
        os.setgid(s["gid"])
    if s["uid"] is not None:
        os.setuid(s["uid"])  # leaves no capabilities (not root any more)
    if s["no_new_privs"]:
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    argv = s["argv"]
    if not argv:
        sys.stderr.write("podsim: container has no command (image entrypoints not simulated)\n")
        sys.exit(128)
    try:
        os.execvpe(argv[0], argv, s["env"])
    except OSError as e:
        sys.stderr.write(f"podsim: exec {argv[0]}: {e}\n")
        sys.exit(127)


def main(argv):
    if len(argv) == 3 and argv[1] == "_container":
        container_main(argv[2])
        return 0
    import argparse
    ap = argparse.ArgumentParser(description="Run a rendered StatefulSet in Linux namespaces.")
    ap.add_argument("--manifests", required=True, help="rendered YAML (kubectl kustomize ...)")
    ap.add_argument("--binary", required=True, help="the mysqlset binary for the image")
    ap.add_argument("--replicas", type=int, help="override spec.replicas")
    a = ap.parse_args(argv[1:])
    with open(a.manifests) as f:
        sim = Simulator(f.read(), a.binary)
    if a.replicas is not None:
        sim.replicas = a.replicas
    sim.start()
    try:
        while True:
            time.sleep(5)
            log(sim.describe() + " | mysql-read: " +
                " ".join(ip for _, ip in sim.endpoints("mysql-read")))
    except KeyboardInterrupt:
        pass
    finally:
        sim.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
