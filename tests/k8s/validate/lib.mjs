// Validation of rendered Kubernetes manifests for mysqlset.
//
// Two layers:
//  1. Schema: every object is checked against the Kubernetes API schema with the validate()
//     that kubernetes-models attaches to each model class. Those compiled schemas do not
//     reject unknown fields (no additionalProperties: false), and the API server silently
//     drops them, so a misspelled field (`readinesProbe`) would pass. We add strictness:
//     the object is handed to validate() wrapped in a Proxy that records every property the
//     schema reads. The generated validator reads each property it knows (`data.selector`
//     even when absent) and iterates the keys of free-form maps (labels, data), so a key in
//     the document that the validator never read is not in the schema: an unknown field.
//  2. Semantics our users rely on (see checkSemantics).
//
// Each check yields {name, ok, detail}. Nothing here prints or exits.

import yaml from "js-yaml";

// ---------- loading ----------

export function parseDocs(text) {
  return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
}

function objId(o) {
  const kind = o && o.kind ? o.kind : "?";
  const name = o && o.metadata && o.metadata.name ? o.metadata.name : "?";
  return `${kind}/${name}`;
}

// apiVersion "v1" -> "kubernetes-models/v1/Kind"; "apps/v1" -> "kubernetes-models/apps/v1/Kind".
async function loadModel(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind)) {
    return null;
  }
  const spec = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    const mod = await import(spec);
    return mod[kind] || null;
  } catch {
    return null;
  }
}

// ---------- schema layer ----------

// Wraps `root` so that every property read is recorded in `reads` (Map<object, Set<key>>).
function tracked(root, reads) {
  const proxies = new WeakMap();
  const wrap = (target) => {
    if (target === null || typeof target !== "object") return target;
    if (proxies.has(target)) return proxies.get(target);
    reads.set(target, reads.get(target) || new Set());
    const p = new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === "string") reads.get(t).add(key);
        return wrap(Reflect.get(t, key, receiver));
      },
    });
    proxies.set(target, p);
    return p;
  };
  return wrap(root);
}

// Lists the paths of keys that the schema never read.
function unknownFields(node, reads, path, out) {
  if (Array.isArray(node)) {
    node.forEach((v, i) => unknownFields(v, reads, `${path}[${i}]`, out));
  } else if (node !== null && typeof node === "object") {
    const seen = reads.get(node);
    if (!seen) return; // the schema never descended here (a type error already reported it)
    for (const key of Object.keys(node)) {
      const p = path ? `${path}.${key}` : key;
      if (!seen.has(key)) out.push(p);
      else unknownFields(node[key], reads, p, out);
    }
  }
}

export async function checkSchema(doc) {
  const id = objId(doc);
  const name = `schema ${id}`;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { name, ok: false, detail: "document is not an object" };
  }
  const Model = await loadModel(doc.apiVersion, doc.kind);
  if (!Model) {
    return { name, ok: false, detail: `no schema for apiVersion=${doc.apiVersion} kind=${doc.kind}` };
  }
  const reads = new Map();
  const problems = [];
  try {
    // Model.prototype.validate is kubernetes-models' validate(): it runs the compiled schema
    // on `this` and throws a ValidationError listing every violation.
    Model.prototype.validate.call(tracked(doc, reads));
  } catch (e) {
    problems.push(String(e.message || e).replace(/\s+/g, " "));
  }
  const unknown = [];
  unknownFields(doc, reads, "", unknown);
  if (unknown.length > 0) problems.push(`unknown field(s): ${unknown.join(", ")}`);
  return { name, ok: problems.length === 0, detail: problems.join("; ") };
}

// ---------- semantic layer ----------

const WORKLOAD_KINDS = new Set(["StatefulSet", "Deployment", "DaemonSet", "ReplicaSet", "Job"]);
// Pods that run to completion: no selector of their own to check, no probes, and not members
// (no POD_NAME needed).
const BATCH_KINDS = new Set(["Job", "CronJob"]);

// Every object with a pod template, as {kind, metadata, spec: {template, ...}}: a CronJob is
// seen through its jobTemplate's pod template, so the checks below read it as they read a
// Deployment's.
export function workloadsOf(docs) {
  return docs.flatMap((d) => {
    if (WORKLOAD_KINDS.has(d.kind) && d.spec && d.spec.template) return [d];
    const job = d.kind === "CronJob" && d.spec && d.spec.jobTemplate && d.spec.jobTemplate.spec;
    return job && job.template ? [{ ...d, spec: { ...d.spec, template: job.template } }] : [];
  });
}
const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

function selectorMatches(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels || {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values || [];
    if (e.operator === "In" && !(has && vals.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && vals.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return Object.keys(ml).length + (selector.matchExpressions || []).length > 0;
}

function allContainers(podSpec) {
  return [...(podSpec.initContainers || []), ...(podSpec.containers || [])];
}

function probePorts(c) {
  const out = [];
  for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const p = c[kind];
    if (!p) continue;
    for (const h of ["httpGet", "tcpSocket", "grpc"]) {
      if (p[h] && p[h].port !== undefined) out.push({ kind, port: p[h].port });
    }
  }
  return out;
}

// Returns a list of {name, ok, detail} for one workload with a pod template.
function checkWorkload(w, ctx) {
  const id = objId(w);
  const results = [];
  const add = (what, problems) =>
    results.push({ name: `${what} ${id}`, ok: problems.length === 0, detail: problems.join("; ") });

  const tmpl = (w.spec && w.spec.template) || {};
  const pod = tmpl.spec || {};
  const labels = (tmpl.metadata && tmpl.metadata.labels) || {};
  const containers = allContainers(pod);

  // Every container of a mysqlset pod knows its pod's name (mysqlset derives identity and
  // ordinal from it). Other workloads (the router, etcd) are free.
  const runsMysqlset = !BATCH_KINDS.has(w.kind) && containers.some((c) => (c.command || [])[0] === "mysqlset");
  add(
    "POD_NAME env in every container",
    containers
      .filter(() => runsMysqlset)
      .filter(
        (c) =>
          !(c.env || []).some(
            (e) =>
              e.name === "POD_NAME" &&
              e.valueFrom &&
              e.valueFrom.fieldRef &&
              e.valueFrom.fieldRef.fieldPath === "metadata.name",
          ),
      )
      .map((c) => `container ${c.name} lacks POD_NAME from fieldRef metadata.name`),
  );

  // Probes: a named port must be one of the probing container's own ports (that is how the
  // kubelet resolves it); a numbered port must be declared by some container of the pod.
  const podPorts = new Set();
  for (const c of containers) for (const p of c.ports || []) podPorts.add(p.containerPort);
  const probeProblems = [];
  for (const c of containers) {
    const own = new Set((c.ports || []).map((p) => p.name).filter(Boolean));
    for (const { kind, port } of probePorts(c)) {
      if (typeof port === "string") {
        if (!own.has(port)) probeProblems.push(`${c.name}.${kind}: port "${port}" is not a named port of container ${c.name}`);
      } else if (!podPorts.has(port)) {
        probeProblems.push(`${c.name}.${kind}: port ${port} is not declared by any container`);
      }
    }
  }
  if (!BATCH_KINDS.has(w.kind) && !containers.some((c) => probePorts(c).length > 0)) probeProblems.push("no container has a probe");
  add("probes use valid ports", probeProblems);

  // Volume mounts name existing volumes (pod volumes, or the StatefulSet's claim templates).
  const volumes = new Set((pod.volumes || []).map((v) => v.name));
  for (const t of (w.spec && w.spec.volumeClaimTemplates) || []) volumes.add(t.metadata && t.metadata.name);
  const mountProblems = [];
  for (const c of containers) {
    for (const m of c.volumeMounts || []) {
      if (!volumes.has(m.name)) mountProblems.push(`${c.name} mounts unknown volume "${m.name}"`);
    }
  }
  add("volumeMounts name existing volumes", mountProblems);

  // Names are unique (the API server would reject duplicates at apply time).
  const dupes = (xs) => xs.filter((x, i) => xs.indexOf(x) !== i);
  add("unique container and volume names", [
    ...dupes(containers.map((c) => c.name)).map((n) => `duplicate container ${n}`),
    ...dupes((pod.volumes || []).map((v) => v.name)).map((n) => `duplicate volume ${n}`),
  ]);

  // ConfigMaps referenced by volumes exist in the render (kustomize rewrote hashed names);
  // Secrets exist in the render or are declared as supplied by the user.
  const refProblems = [];
  for (const v of pod.volumes || []) {
    if (v.configMap && !ctx.byKind("ConfigMap").has(v.configMap.name)) {
      refProblems.push(`volume ${v.name}: ConfigMap ${v.configMap.name} not found`);
    }
    if (v.secret && !ctx.byKind("Secret").has(v.secret.secretName) && !ctx.externalSecrets.has(v.secret.secretName)) {
      refProblems.push(`volume ${v.name}: Secret ${v.secret.secretName} not found`);
    }
  }
  add("configMap/secret volumes resolve", refProblems);

  // Secret files pass mysqlset's mode check (CheckSecretFileMode): the kubelet writes them
  // root-owned with defaultMode (default 0644), copying the owner bits to the group when
  // fsGroup is set; the containers (non-root) read them through that group. Nothing for
  // others, no group write, and fsGroup set so the group can read.
  const fsGroup = pod.securityContext && pod.securityContext.fsGroup;
  const modeProblems = [];
  for (const v of pod.volumes || []) {
    if (!v.secret) continue;
    for (const mode of [v.secret.defaultMode ?? 0o644, ...(v.secret.items || []).map((i) => i.mode).filter((m) => m !== undefined)]) {
      const eff = fsGroup !== undefined ? mode | ((mode & 0o700) >> 3) : mode;
      const shown = eff.toString(8).padStart(4, "0");
      if (eff & 0o007) modeProblems.push(`volume ${v.name}: files would be mode ${shown}, readable by others; mysqlset refuses them (use defaultMode: 0400 with fsGroup)`);
      else if (eff & 0o020) modeProblems.push(`volume ${v.name}: files would be mode ${shown}, group-writable; mysqlset refuses them`);
      else if (fsGroup === undefined) modeProblems.push(`volume ${v.name}: no fsGroup, so the non-root containers cannot read root-owned files of mode ${shown}`);
    }
  }
  add("secret file modes pass mysqlset's check", modeProblems);

  // The selector selects the pod template (a Job's is generated).
  if (!BATCH_KINDS.has(w.kind)) {
    add(
      "selector matches pod template labels",
      selectorMatches(w.spec && w.spec.selector, labels) ? [] : ["spec.selector does not match template labels"],
    );
  }

  // Non-root: set for the pod, or for every container.
  const podNonRoot = pod.securityContext && pod.securityContext.runAsNonRoot === true;
  const nonRootProblems = podNonRoot
    ? containers
        .filter((c) => c.securityContext && c.securityContext.runAsNonRoot === false)
        .map((c) => `container ${c.name} overrides runAsNonRoot=false`)
    : containers
        .filter((c) => !(c.securityContext && c.securityContext.runAsNonRoot === true))
        .map((c) => `container ${c.name} may run as root (runAsNonRoot not set)`);
  add("runAsNonRoot", nonRootProblems);

  // A StatefulSet's serviceName names a headless Service of the render.
  if (w.kind === "StatefulSet") {
    const svc = ctx.byKind("Service").get(w.spec.serviceName);
    const p = [];
    if (!svc) p.push(`serviceName "${w.spec.serviceName}" has no Service`);
    else if (!svc.spec || svc.spec.clusterIP !== "None") p.push(`Service ${w.spec.serviceName} is not headless`);
    add("serviceName is a headless Service", p);
  }
  return results;
}

// Service and PodDisruptionBudget selectors select some workload's pods, and a Service's named
// targetPorts exist on those pods.
function checkSelectors(doc, ctx) {
  const id = objId(doc);
  const problems = [];
  const raw =
    doc.kind === "Service"
      ? { matchLabels: (doc.spec && doc.spec.selector) || {} }
      : (doc.spec && doc.spec.selector) || {};
  const sel = { matchLabels: { ...(raw.matchLabels || {}) }, matchExpressions: raw.matchExpressions };
  // statefulset.kubernetes.io/pod-name is set by the StatefulSet controller: <name>-<ordinal>.
  const podName = sel.matchLabels && sel.matchLabels[POD_NAME_LABEL];
  if (podName !== undefined) delete sel.matchLabels[POD_NAME_LABEL];
  const targets = ctx.workloads.filter((w) => {
    const labels = (w.spec.template.metadata && w.spec.template.metadata.labels) || {};
    if (!selectorMatches(sel, labels)) return false;
    if (podName === undefined) return true;
    const m = new RegExp(`^${w.metadata.name}-(\\d+)$`).exec(podName);
    return w.kind === "StatefulSet" && m && Number(m[1]) < (w.spec.replicas ?? 1);
  });
  if (targets.length === 0) problems.push("selector matches no pod template");
  if (doc.kind === "Service") {
    for (const p of (doc.spec && doc.spec.ports) || []) {
      if (typeof p.targetPort !== "string") continue;
      for (const w of targets) {
        const names = allContainers(w.spec.template.spec || {}).flatMap((c) => (c.ports || []).map((x) => x.name));
        if (!names.includes(p.targetPort)) problems.push(`targetPort "${p.targetPort}" is not a port of ${objId(w)}`);
      }
    }
  }
  return { name: `selector selects pods ${id}`, ok: problems.length === 0, detail: problems.join("; ") };
}

// ---------- roles: etcd and the router (docs/roles.md) ----------

const flagValue = (argv, flag) => {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith(`${flag}=`)) return argv[i].slice(flag.length + 1);
  }
  return undefined;
};
const argvOf = (c) => [...(c.command || []), ...(c.args || [])];
const portNamed = (c, name) => ((c.ports || []).find((p) => p.name === name) || {}).containerPort;

// The mysqlset StatefulSet (its agent container runs `mysqlset agent`), or undefined.
function mysqlsetSet(ctx) {
  return ctx.workloads.find(
    (w) =>
      w.kind === "StatefulSet" &&
      (w.spec.template.spec.containers || []).some((c) => argvOf(c)[0] === "mysqlset" && argvOf(c)[1] === "agent"),
  );
}

// The agent and clone containers reach every etcd member through the etcd StatefulSet's
// headless Service, on its client port; etcd is configured by flags only (etcd#12297) and its
// initial cluster is exactly its replicas; the mysql pods share their process namespace (the
// agent's fence SIGKILLs mariadbd).
function checkEtcd(ctx) {
  const results = [];
  const add = (name, problems) => results.push({ name, ok: problems.length === 0, detail: problems.join("; ") });
  const mysql = mysqlsetSet(ctx);
  if (!mysql) return results;
  const etcd = ctx.workloads.find((w) => w.kind === "StatefulSet" && (w.spec.template.spec.containers || []).some((c) => argvOf(c)[0] === "etcd"));
  const p = [];
  if (!etcd) {
    add("etcd StatefulSet serves the agents' --etcd", ["no StatefulSet runs etcd"]);
    return results;
  }
  const ec = etcd.spec.template.spec.containers.find((c) => argvOf(c)[0] === "etcd");
  const replicas = etcd.spec.replicas ?? 1;
  const client = portNamed(ec, "client");
  const svc = etcd.spec.serviceName;
  const mpod = mysql.spec.template.spec;
  for (const c of allContainers(mpod).filter((c) => ["agent", "clone"].includes(argvOf(c)[1]))) {
    const urls = flagValue(argvOf(c), "--etcd");
    if (!urls) {
      p.push(`${c.name}: no --etcd`);
      continue;
    }
    const seen = new Set();
    for (const u of urls.split(",")) {
      const m = /^http:\/\/([a-z0-9-]+)-(\d+)\.([a-z0-9-]+):(\d+)$/.exec(u);
      if (!m) p.push(`${c.name}: --etcd ${u} is not http://<set>-N.<service>:<port>`);
      else if (m[1] !== etcd.metadata.name || m[3] !== svc || Number(m[2]) >= replicas || Number(m[4]) !== client) {
        p.push(`${c.name}: --etcd ${u} is not a member of ${objId(etcd)} (service ${svc}, client port ${client}, ${replicas} replicas)`);
      } else seen.add(Number(m[2]));
    }
    if (seen.size !== replicas) p.push(`${c.name}: --etcd names ${seen.size} of the ${replicas} etcd members`);
    for (const f of ["--cluster", "--members"]) if (flagValue(argvOf(c), f) === undefined) p.push(`${c.name}: no ${f}`);
  }
  add(`agents reach every etcd member ${objId(mysql)}`, p);

  const e = [];
  const argv = argvOf(ec);
  if (argv.some((a) => a.startsWith("--config-file"))) e.push("--config-file can turn the v3 gateway off in etcd 3.4 (etcd#12297); use flags");
  const initial = (flagValue(argv, "--initial-cluster") || "").split(",").filter(Boolean);
  const names = initial.map((x) => x.split("=")[0]).sort();
  const want = [...Array(replicas).keys()].map((i) => `${etcd.metadata.name}-${i}`).sort();
  if (JSON.stringify(names) !== JSON.stringify(want)) e.push(`--initial-cluster names ${names.join(",")}, want ${want.join(",")}`);
  if ((etcd.spec.podManagementPolicy || "OrderedReady") !== "Parallel") e.push("podManagementPolicy must be Parallel (a member is ready only with a quorum)");
  const hsvc = ctx.byKind("Service").get(svc);
  if (hsvc && hsvc.spec.publishNotReadyAddresses !== true) e.push(`Service ${svc} must publish not-ready addresses (members find each other before the quorum)`);
  add(`etcd is configured by flags for its own replicas ${objId(etcd)}`, e);

  // Issue 13: lossless semi-sync and automatic failover are on, as in local mode.
  const agent = (mpod.containers || []).find((c) => argvOf(c)[0] === "mysqlset" && argvOf(c)[1] === "agent");
  add(`mysql agents run lossless semi-sync (automatic failover) ${objId(mysql)}`,
    agent && argvOf(agent).includes("--semi-sync") ? [] : ["the agent has no --semi-sync: a lost primary is never replaced"]);
  add(`mysql pods share their process namespace (fencing) ${objId(mysql)}`,
    mpod.shareProcessNamespace === true ? [] : ["shareProcessNamespace is not true: the agent cannot SIGKILL mariadbd"]);
  // An errant or diverged member heals in its own pod: the agent kills mariadbd after asking
  // for a re-clone, and the mariadbd container's restart runs the clone step first.
  const server = (mpod.containers || []).find(isMariadbd);
  const recloneProblems = [];
  if (!agent || !argvOf(agent).includes("--kill-server-to-reclone")) recloneProblems.push("the agent has no --kill-server-to-reclone: an errant member's re-clone request waits for a pod deletion");
  if (!server || argvOf(server)[1] !== "clone") recloneProblems.push("the mariadbd container does not run `mysqlset clone ... -- mariadbd`: its restart cannot act on a re-clone request");
  add(`mysql members re-clone in their own pod ${objId(mysql)}`, recloneProblems);

  // Issue 13: deleting the primary's pod (a rolling update) hands over first. The agent
  // container's preStop requests the switchover (only from the primary); the mariadbd
  // container's keeps the server up until the role has moved; both end within the grace period.
  // Issue 16: the agent's also drains the member out of the read endpoints, and mariadbd's
  // waits for the routers to notice (--drain-wait) before the server gets SIGTERM.
  const h = [];
  const grace = mpod.terminationGracePeriodSeconds ?? 30;
  const hooks = [["agent", "--if-primary"], ["mariadbd", "--wait-not-primary"], ["agent", "--drain"], ["mariadbd", "--drain-wait"]];
  for (const [name, flag] of hooks) {
    const c = (mpod.containers || []).find((x) => x.name === name);
    const cmd = c?.lifecycle?.preStop?.exec?.command || [];
    if (!c) h.push(`no ${name} container`);
    else if (cmd[0] !== "mysqlset" || cmd[1] !== "switchover" || !cmd.includes(flag)) {
      h.push(`${name}: preStop is not \`mysqlset switchover ... ${flag}\``);
    } else {
      if (flagValue(cmd, "--agent") !== "http://127.0.0.1:8080") h.push(`${name}: preStop --agent is not this pod's agent (http://127.0.0.1:8080)`);
      const t = Number(flagValue(cmd, "--timeout"));
      if (!(t > 0 && t < grace)) h.push(`${name}: preStop --timeout ${flagValue(cmd, "--timeout")} is not below terminationGracePeriodSeconds ${grace}`);
    }
  }
  add(`mysql pods hand the primary over before they stop ${objId(mysql)}`, h);
  return results;
}

// Parses the haproxy.cfg sections this project writes: {"backend primary": [lines], ...}.
export function haproxySections(text) {
  const out = {};
  let cur = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trimEnd();
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      cur = line.trim().split(/\s+/).slice(0, 2).join(" ");
      out[cur] = [];
    } else if (cur) out[cur].push(line.trim());
  }
  return out;
}

// The router's haproxy.cfg (in the ConfigMap its Deployment mounts) checks every member on the
// agent's port, GET /primary for the write backend and GET /replica for the read backend, cuts
// the sessions of a server marked down, and lists every ordinal the StatefulSet can have; the
// Services mysql-primary and mysql-read reach the frontends that use those backends.
function checkRouter(ctx) {
  const mysql = mysqlsetSet(ctx);
  if (!mysql) return [];
  const router = ctx.workloads.find((w) => allContainers(w.spec.template.spec).some((c) => argvOf(c)[0] === "haproxy"));
  const name = `router checks the agents ${router ? objId(router) : ""}`.trim();
  if (!router) return [{ name, ok: false, detail: "no workload runs haproxy" }];
  const p = [];
  const pod = router.spec.template.spec;
  const hc = allContainers(pod).find((c) => argvOf(c)[0] === "haproxy");
  const cfgPath = flagValue(argvOf(hc), "-f") || "";
  const mount = (hc.volumeMounts || []).find((m) => cfgPath.startsWith(`${m.mountPath}/`));
  const vol = mount && (pod.volumes || []).find((v) => v.name === mount.name && v.configMap);
  const cm = vol && ctx.byKind("ConfigMap").get(vol.configMap.name);
  const text = cm && cm.data && cm.data[cfgPath.slice(mount.mountPath.length + 1)];
  if (!text) return [{ name, ok: false, detail: `haproxy -f ${cfgPath} is not a file of a rendered ConfigMap` }];
  // "${VAR}" in the config is HAProxy's expansion of the container's environment: resolve the
  // variables the manifest sets to a literal value (MYSQL_SET), keep the others.
  const envOf = Object.fromEntries((hc.env || []).filter((e) => typeof e.value === "string").map((e) => [e.name, e.value]));
  const sec = haproxySections(text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (m, v) => (v in envOf ? envOf[v] : m)));
  const agentC = mysql.spec.template.spec.containers.find((c) => argvOf(c)[1] === "agent");
  const agentPort = portNamed(agentC, "agent");
  const mysqlPort = allContainers(mysql.spec.template.spec).map((c) => portNamed(c, "mysql")).find(Boolean);
  const defaults = (sec["defaults"] || []).join("\n");
  const replicas = mysql.spec.replicas ?? 1;
  const frontends = {};
  for (const [k, lines] of Object.entries(sec)) {
    if (!k.startsWith("frontend ")) continue;
    const bind = lines.find((l) => l.startsWith("bind "));
    const be = lines.find((l) => l.startsWith("default_backend "));
    const port = bind && Number(bind.split(/\s+/)[1].split(":").pop());
    if (be) frontends[port] = be.split(/\s+/)[1];
  }
  // Writes go through only while exactly one member answers /primary (a router may list the
  // old primary for a moment after a switchover, and every member right after it starts).
  const write = (sec["frontend write"] || []).join("\n");
  if (!/tcp-request connection reject unless \{ nbsrv\(primary\) eq 1 \}/.test(write)) p.push(`frontend write: no "tcp-request connection reject unless { nbsrv(primary) eq 1 }"`);
  const backendFor = (svcName) => {
    const svc = ctx.byKind("Service").get(svcName);
    if (!svc) return undefined;
    const tp = svc.spec.ports[0].targetPort;
    return frontends[typeof tp === "string" ? portNamed(hc, tp) : tp];
  };
  const routes = [["mysql-primary", "/primary"], ["mysql-read", "/replica"], ["mysql-replica", "/replica"]];
  for (const [base, path] of routes) {
    // The Services of this instance: the StatefulSet's name stands for "mysql" (namePrefix).
    const svcName = base.replace(/^mysql/, mysql.metadata.name);
    if (base === "mysql-replica" && !ctx.byKind("Service").has(svcName)) {
      p.push(`no Service ${svcName} (replica-only reads)`);
      continue;
    }
    const be = backendFor(svcName);
    const lines = be && sec[`backend ${be}`];
    if (!lines) {
      p.push(`Service ${svcName} reaches no haproxy backend`);
      continue;
    }
    const all = `${defaults}\n${lines.join("\n")}`;
    if (!lines.some((l) => new RegExp(`^option httpchk GET ${path}$`).test(l))) p.push(`backend ${be}: no "option httpchk GET ${path}"`);
    if (!new RegExp(`check port ${agentPort}\\b`).test(all)) p.push(`backend ${be}: servers not checked on the agent port ${agentPort}`);
    if (!/on-marked-down shutdown-sessions/.test(all)) p.push(`backend ${be}: no on-marked-down shutdown-sessions`);
    if (!/init-addr last,libc,none/.test(all) || !/resolvers /.test(all)) p.push(`backend ${be}: a missing member would stop haproxy (want init-addr last,libc,none and resolvers)`);
    const listed = new Set();
    for (const l of lines.filter((x) => x.startsWith("server "))) {
      const [, sname, addr] = l.split(/\s+/);
      const m = new RegExp(`^"?${mysql.metadata.name}-(\\d+)\\.${mysql.spec.serviceName}\\.[^:]*:(\\d+)"?$`).exec(addr || "");
      // The server's name is a label (mysql-N whatever the prefix); its ordinal must match.
      if (!m || !(sname || "").endsWith(`-${m[1]}`) || Number(m[2]) !== mysqlPort) p.push(`backend ${be}: server ${sname} ${addr} is not <pod>.${mysql.spec.serviceName}...:${mysqlPort}`);
      else listed.add(Number(m[1]));
    }
    const missing = [...Array(replicas).keys()].filter((i) => !listed.has(i));
    if (missing.length) p.push(`backend ${be}: no server for ${missing.map((i) => `${mysql.metadata.name}-${i}`).join(", ")} (${replicas} replicas)`);
  }
  return [{ name, ok: p.length === 0, detail: p.join("; ") }];
}

// ---------- production rules (issue 16) ----------

const INSTANCE = "app.kubernetes.io/instance";
const podLabelsOf = (w) => (w.spec.template.metadata && w.spec.template.metadata.labels) || {};

// Every label selector of an object, as [where, selector] with selector {matchLabels,
// matchExpressions}; a Service's plain map becomes matchLabels.
export function selectorsOf(d) {
  const out = [];
  const spec = d.spec || {};
  if (d.kind === "Service" && spec.selector) out.push(["spec.selector", { matchLabels: spec.selector }]);
  if (d.kind === "PodDisruptionBudget" && spec.selector) out.push(["spec.selector", spec.selector]);
  if (WORKLOAD_KINDS.has(d.kind) && spec.selector) out.push(["spec.selector", spec.selector]);
  if (d.kind === "NetworkPolicy") {
    out.push(["spec.podSelector", spec.podSelector || {}]);
    (spec.ingress || []).forEach((r, i) =>
      (r.from || []).forEach((f, j) => {
        if (f.podSelector && f.podSelector.matchLabels) out.push([`spec.ingress[${i}].from[${j}].podSelector`, f.podSelector]);
      }));
  }
  if (d.kind === "PodMonitor" && spec.selector) out.push(["spec.selector", spec.selector]);
  const pod = (spec.template && spec.template.spec) || {};
  const aff = pod.affinity || {};
  for (const kind of ["podAffinity", "podAntiAffinity"]) {
    const a = aff[kind] || {};
    (a.requiredDuringSchedulingIgnoredDuringExecution || []).forEach((t, i) =>
      out.push([`affinity.${kind}.required[${i}]`, t.labelSelector || {}]));
    (a.preferredDuringSchedulingIgnoredDuringExecution || []).forEach((t, i) =>
      out.push([`affinity.${kind}.preferred[${i}]`, (t.podAffinityTerm || {}).labelSelector || {}]));
  }
  (pod.topologySpreadConstraints || []).forEach((t, i) => out.push([`topologySpreadConstraints[${i}]`, t.labelSelector || {}]));
  return out;
}

// Every selector and pod template names its instance, so that two clusters in one namespace
// (another namePrefix and instance) select nothing of each other. A selector made only of
// matchExpressions (the NetworkPolicies' application and Prometheus peers) selects pods
// outside the cluster on purpose and is exempt.
function checkInstanceLabels(docs, ctx) {
  const p = [];
  for (const w of ctx.workloads) if (!podLabelsOf(w)[INSTANCE]) p.push(`${objId(w)}: pod template has no ${INSTANCE} label`);
  for (const d of docs) {
    for (const [where, sel] of selectorsOf(d)) {
      const ml = sel.matchLabels || {};
      if (Object.keys(ml).length === 0 && (sel.matchExpressions || []).length > 0 && d.kind === "NetworkPolicy" && where !== "spec.podSelector") continue;
      if (!ml[INSTANCE]) p.push(`${objId(d)} ${where} has no ${INSTANCE}`);
      if (ml[POD_NAME_LABEL] !== undefined && d.kind === "Service") p.push(`${objId(d)} selects the pod name ${ml[POD_NAME_LABEL]}: the primary is a role, and the name is not the instance's`);
    }
  }
  return { name: "selectors carry the instance label", ok: p.length === 0, detail: p.join("; ") };
}

// The pods that `sel` (from `selectorsOf`) would select among `workloads`.
function selected(sel, workloads) {
  return workloads.filter((w) => selectorMatches(sel, podLabelsOf(w)));
}

// Two renders applied to one namespace: no object of one has the name of an object of the
// other, and no selector of one selects the other's pods.
export function checkCrossCluster(docsA, docsB, labelA = "A", labelB = "B") {
  const wl = workloadsOf;
  const results = [];
  const idsB = new Set(docsB.map(objId));
  const clash = docsA.map(objId).filter((id) => idsB.has(id));
  results.push({ name: `no object names shared by ${labelA} and ${labelB}`, ok: clash.length === 0, detail: clash.join(", ") });
  for (const [docs, other, from, to] of [[docsA, docsB, labelA, labelB], [docsB, docsA, labelB, labelA]]) {
    const p = [];
    for (const d of docs) {
      for (const [where, sel] of selectorsOf(d)) {
        for (const w of selected(sel, wl(other))) p.push(`${objId(d)} ${where} selects the pods of ${to}'s ${objId(w)}`);
      }
    }
    results.push({ name: `no selector of ${from} selects ${to}'s pods`, ok: p.length === 0, detail: p.join("; ") });
  }
  return results;
}

// The program a container ends up running: `mysqlset clone ... -- PROGRAM ...` runs the clone
// step, then becomes PROGRAM (the mariadbd container, so that its restart can re-clone).
function serverArgv(c) {
  const a = argvOf(c);
  const i = a.indexOf("--");
  return a[0] === "mysqlset" && a[1] === "clone" && i > 1 ? a.slice(i + 1) : a;
}
const isMariadbd = (c) => serverArgv(c)[0] === "mariadbd";

// Liveness must not kill a long InnoDB crash recovery: the mariadbd container has a
// startupProbe allowing at least 30 minutes, and a livenessProbe after it.
function checkStartup(ctx) {
  const mysql = mysqlsetSet(ctx);
  if (!mysql) return [];
  const p = [];
  const c = (mysql.spec.template.spec.containers || []).find(isMariadbd);
  if (!c) p.push("no container runs mariadbd");
  else if (!c.startupProbe) p.push(`${c.name}: no startupProbe, so its livenessProbe can kill a long crash recovery`);
  else {
    const s = c.startupProbe;
    const budget = (s.periodSeconds ?? 10) * (s.failureThreshold ?? 3) + (s.initialDelaySeconds ?? 0);
    if (budget < 1800) p.push(`${c.name}: startupProbe allows ${budget} s, under the 1800 s crash recovery may take`);
    if (!c.livenessProbe) p.push(`${c.name}: no livenessProbe`);
  }
  return [{ name: `startupProbe allows crash recovery ${objId(mysql)}`, ok: p.length === 0, detail: p.join("; ") }];
}

// The buffer pool follows mariadbd's memory limit: `mysqlset init --memory-limit $(VAR)` with
// VAR from the downward API's limits.memory of the mariadbd container, which has a limit
// (without one the downward API gives the node's allocatable memory).
function checkBufferPool(ctx) {
  const mysql = mysqlsetSet(ctx);
  if (!mysql) return [];
  const pod = mysql.spec.template.spec;
  const p = [];
  const init = allContainers(pod).find((c) => argvOf(c)[0] === "mysqlset" && argvOf(c)[1] === "init");
  const db = (pod.containers || []).find(isMariadbd);
  const arg = init && flagValue(argvOf(init), "--memory-limit");
  const m = arg && /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(arg);
  const env = m && (init.env || []).find((e) => e.name === m[1]);
  const ref = env && env.valueFrom && env.valueFrom.resourceFieldRef;
  if (!init) p.push("no container runs mysqlset init");
  else if (!m) p.push(`${init.name}: no --memory-limit $(VAR)`);
  else if (!ref || ref.resource !== "limits.memory" || !db || ref.containerName !== db.name) {
    p.push(`${init.name}: ${m[1]} is not the resourceFieldRef limits.memory of the mariadbd container`);
  }
  if (db && !(db.resources && db.resources.limits && db.resources.limits.memory)) p.push(`${db.name}: no memory limit`);
  return [{ name: `buffer pool follows the memory limit ${objId(mysql)}`, ok: p.length === 0, detail: p.join("; ") }];
}

// A re-pushed tag must not leave pods on different images: every image names a version tag
// (not `latest`) or a digest.
function checkImages(ctx) {
  const p = [];
  for (const w of ctx.workloads) {
    for (const c of allContainers(w.spec.template.spec || {})) {
      const img = String(c.image || "");
      if (/@sha256:[0-9a-f]{64}$/.test(img)) continue;
      const tag = /:([^/:]+)$/.exec(img);
      if (!tag) p.push(`${objId(w)} ${c.name}: image ${img} has no tag`);
      else if (tag[1] === "latest") p.push(`${objId(w)} ${c.name}: image ${img} is not pinned (latest)`);
    }
  }
  return { name: "images are pinned by version or digest", ok: p.length === 0, detail: p.join("; ") };
}

// The members (and etcd's) spread over nodes: an anti-affinity term or a topology spread
// constraint over kubernetes.io/hostname that selects the set's own pods.
function checkSpread(ctx) {
  const results = [];
  for (const w of ctx.workloads.filter((x) => x.kind === "StatefulSet")) {
    const pod = w.spec.template.spec;
    const own = podLabelsOf(w);
    const anti = (pod.affinity && pod.affinity.podAntiAffinity) || {};
    const terms = [...(anti.requiredDuringSchedulingIgnoredDuringExecution || []),
      ...(anti.preferredDuringSchedulingIgnoredDuringExecution || []).map((t) => t.podAffinityTerm || {})];
    const ok = terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && selectorMatches(t.labelSelector, own)) ||
      (pod.topologySpreadConstraints || []).some((t) => t.topologyKey === "kubernetes.io/hostname" && selectorMatches(t.labelSelector, own));
    results.push({ name: `pods spread across nodes ${objId(w)}`, ok,
      detail: ok ? "" : "no podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname selecting the set's own pods: all members may land on one node" });
  }
  return results;
}

// A NetworkPolicy selects the members; the backup port admits members only, and MariaDB and
// the agent's port have rules at all (a policy without them would block the cluster itself).
function checkNetworkPolicy(docs, ctx) {
  const mysql = mysqlsetSet(ctx);
  if (!mysql) return [];
  const own = podLabelsOf(mysql);
  const pols = docs.filter((d) => d.kind === "NetworkPolicy" && selectorMatches(d.spec.podSelector, own));
  const p = [];
  if (pols.length === 0) p.push(`no NetworkPolicy selects the pods of ${objId(mysql)}: every pod may reach admin@'%', the backup and agent ports`);
  const rulesFor = (port) => pols.flatMap((n) => (n.spec.ingress || []).filter((r) => !r.ports || r.ports.some((x) => x.port === port)));
  for (const [port, what] of [[3306, "MariaDB"], [3307, "the backup stream"], [8080, "the agent"]]) {
    if (pols.length && rulesFor(port).length === 0) p.push(`no ingress rule admits ${what} (port ${port})`);
  }
  // Members, and the pods of this render's backup jobs (`mysqlset backup`), nothing else.
  const backupPods = backupJobs(ctx).map(podLabelsOf);
  const others = ctx.workloads.map(podLabelsOf).filter((l) => l !== own && !backupPods.includes(l));
  for (const r of rulesFor(3307)) {
    for (const f of r.from || [{}]) {
      const sel = f.podSelector;
      const exact = sel && !f.namespaceSelector && !f.ipBlock && Object.keys(sel.matchLabels || {}).length > 0;
      const wanted = exact && (selectorMatches(sel, own) || backupPods.some((l) => selectorMatches(sel, l)));
      if (!wanted || others.some((l) => selectorMatches(sel, l))) p.push(`port 3307 admits ${JSON.stringify(f)}, not only the members and the backup jobs`);
    }
  }
  return [{ name: `NetworkPolicy guards the members ${objId(mysql)}`, ok: p.length === 0, detail: p.join("; ") }];
}

// argv as the kubelet runs it: $(NAME) expanded from the container's literal env values.
function expandedArgv(c) {
  const env = new Map((c.env || []).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
  return argvOf(c).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n) => (env.has(n) ? env.get(n) : m)));
}

// A container that reaches an rclone: repository has rclone's config: RCLONE_CONFIG naming a
// file in a mounted Secret or ConfigMap, or the remote in RCLONE_CONFIG_<REMOTE>_* variables.
function rcloneConfigProblems(pod, c, repo) {
  const remote = repo.slice("rclone:".length).split(":")[0];
  const env = c.env || [];
  if (env.some((e) => e.name.startsWith(`RCLONE_CONFIG_${remote.toUpperCase()}_`))) return [];
  const conf = env.find((e) => e.name === "RCLONE_CONFIG");
  if (!conf || conf.value === undefined) return [`${c.name}: ${repo} without RCLONE_CONFIG (rclone's config file) or RCLONE_CONFIG_${remote.toUpperCase()}_* variables`];
  const m = mountOf(pod, c, conf.value);
  if (!m || !m.volume || !(m.volume.secret || m.volume.configMap)) return [`${c.name}: RCLONE_CONFIG ${conf.value} is not in a mounted Secret or ConfigMap`];
  return [];
}

// The workloads whose pods run `mysqlset backup` (the backup CronJobs, docs/backup.md).
function backupJobs(ctx) {
  return ctx.workloads.filter((w) => BATCH_KINDS.has(w.kind) &&
    allContainers(w.spec.template.spec || {}).some((c) => argvOf(c)[0] === "mysqlset" && argvOf(c)[1] === "backup"));
}

// Where `path` is mounted in container `c` of `pod`: {mount, volume} of the longest mountPath
// that contains it, or undefined.
function mountOf(pod, c, path) {
  const m = (c.volumeMounts || [])
    .filter((x) => path === x.mountPath || path.startsWith(`${x.mountPath.replace(/\/$/, "")}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  return m && { mount: m, volume: (pod.volumes || []).find((v) => v.name === m.name) };
}

// The identity of a volume's storage, to compare two pods' mounts: a claim, or a Secret.
function storageOf(volume) {
  if (!volume) return undefined;
  if (volume.persistentVolumeClaim) return `pvc:${volume.persistentVolumeClaim.claimName}`;
  if (volume.nfs) return `nfs:${volume.nfs.server}:${volume.nfs.path}`;
  return undefined;
}

// Backups on Kubernetes (issue 15): each backup job runs `mysqlset backup` against this
// render's members (--cluster is the StatefulSet's name), never two at once, bounded in time
// and retries, with the token from a mounted Secret file (never in argv) and nothing else of
// the Secret, as locked down as the agent, with a writable /tmp and a repository it can
// write (a mounted volume, or rclone:); the NetworkPolicies let it reach the members' agent
// and backup ports. Agents given --archive-repo archive into the same repository, mounted.
function checkBackup(docs, ctx) {
  const mysql = mysqlsetSet(ctx);
  const jobs = backupJobs(ctx);
  const results = [];
  const agent = mysql && mysql.spec.template.spec.containers.find((c) => argvOf(c)[0] === "mysqlset" && argvOf(c)[1] === "agent");
  const archive = agent && flagValue(expandedArgv(agent), "--archive-repo");
  const repos = new Set();
  for (const w of jobs) {
    const p = [];
    const pod = w.spec.template.spec;
    const c = allContainers(pod).find((x) => argvOf(x)[0] === "mysqlset" && argvOf(x)[1] === "backup");
    const argv = expandedArgv(c);
    if (w.kind === "CronJob") {
      if (w.spec.concurrencyPolicy !== "Forbid") p.push(`concurrencyPolicy is ${w.spec.concurrencyPolicy ?? "Allow (default)"}, not Forbid: two backups could run at once`);
      if (w.spec.startingDeadlineSeconds === undefined) p.push("no startingDeadlineSeconds: missed runs start whenever the controller catches up");
    }
    const job = w.kind === "CronJob" ? w.spec.jobTemplate.spec : w.spec;
    if (job.backoffLimit === undefined) p.push("no backoffLimit (default 6 retries)");
    if (job.activeDeadlineSeconds === undefined) p.push("no activeDeadlineSeconds: a stuck run holds the schedule for ever");
    if (!mysql) p.push("no mysqlset StatefulSet in the render to back up");
    else if (flagValue(argv, "--cluster") !== mysql.metadata.name) p.push(`--cluster ${flagValue(argv, "--cluster")} is not the StatefulSet ${mysql.metadata.name}`);
    if (argv.some((a) => /^--(token|password)(=|$)/.test(a))) p.push("a secret flag in argv");
    const tokenFile = flagValue(argv, "--token-file") || "/etc/mysqlset/secrets/backup-token";
    const tm = mountOf(pod, c, tokenFile);
    if (!tm || !tm.volume || !tm.volume.secret) p.push(`the token file ${tokenFile} is not in a mounted Secret`);
    else {
      const items = tm.volume.secret.items;
      const rel = tokenFile.slice(tm.mount.mountPath.replace(/\/$/, "").length + 1);
      if (!items) p.push(`Secret volume ${tm.volume.name} mounts every key: give the backup job only backup-token (items)`);
      else if (!items.some((i) => i.key === "backup-token" && i.path === rel)) p.push(`Secret volume ${tm.volume.name} does not put backup-token at ${tokenFile}`);
    }
    const sc = c.securityContext || {};
    if (sc.readOnlyRootFilesystem !== true) p.push(`${c.name}: root filesystem writable`);
    if (sc.allowPrivilegeEscalation !== false) p.push(`${c.name}: privilege escalation allowed`);
    if (!((sc.capabilities && sc.capabilities.drop) || []).includes("ALL")) p.push(`${c.name}: capabilities not dropped`);
    const res = c.resources || {};
    if (!(res.requests && res.requests.memory && res.requests.cpu)) p.push(`${c.name}: no cpu and memory requests`);
    if (!(res.limits && res.limits.memory)) p.push(`${c.name}: no memory limit`);
    const tmp = mountOf(pod, c, "/tmp/x");
    if (!tmp || tmp.mount.mountPath !== "/tmp" || tmp.mount.readOnly) p.push(`${c.name}: no writable volume at /tmp (work files, --verify's scratch)`);
    const repo = flagValue(argv, "--repo");
    if (!repo) p.push("no --repo");
    else if (repo.startsWith("rclone:")) p.push(...rcloneConfigProblems(pod, c, repo));
    else {
      const rm = mountOf(pod, c, repo);
      if (!rm || !rm.volume || rm.mount.readOnly || rm.volume.secret || rm.volume.configMap) p.push(`--repo ${repo} is not on a writable mounted volume`);
      else if (archive === repo && storageOf(rm.volume) !== storageOf(mountOf(mysql.spec.template.spec, agent, archive)?.volume)) {
        p.push(`--repo ${repo} is another volume than the agents' --archive-repo ${archive}`);
      }
    }
    if (repo && archive !== undefined && repo !== archive) p.push(`--repo ${repo}, but the agents archive into ${archive}: a restore needs both in one repository`);
    repos.add(repo);
    // NetworkPolicies that select the members must admit this job's pods on 3307 and 8080.
    if (mysql) {
      const own = podLabelsOf(mysql);
      const pols = docs.filter((d) => d.kind === "NetworkPolicy" && selectorMatches(d.spec.podSelector, own));
      const labels = podLabelsOf(w);
      for (const port of [3307, 8080]) {
        const admitted = pols.some((n) => (n.spec.ingress || []).some((r) =>
          (!r.ports || r.ports.some((x) => x.port === port)) &&
          (!r.from || r.from.some((f) => f.podSelector && !f.namespaceSelector && selectorMatches(f.podSelector, labels)))));
        if (pols.length && !admitted) p.push(`no NetworkPolicy admits its pods to the members' port ${port}`);
      }
    }
    results.push({ name: `backup job ${objId(w)}`, ok: p.length === 0, detail: p.join("; ") });
  }
  if (jobs.length && mysql && archive === undefined) {
    results.push({ name: `agents archive binlogs ${objId(mysql)}`, ok: false,
      detail: "backup jobs, but the agents have no --archive-repo: no point-in-time restore between backups" });
  }
  if (archive !== undefined) {
    const p = [];
    if (archive.startsWith("rclone:")) p.push(...rcloneConfigProblems(mysql.spec.template.spec, agent, archive));
    else {
      const am = mountOf(mysql.spec.template.spec, agent, archive);
      if (!am || !am.volume || am.mount.readOnly || !storageOf(am.volume)) p.push(`--archive-repo ${archive} is not on a writable shared volume of the agent`);
      else if (am.volume.persistentVolumeClaim) {
        const pvc = ctx.byKind("PersistentVolumeClaim").get(am.volume.persistentVolumeClaim.claimName);
        if (!pvc) p.push(`PersistentVolumeClaim ${am.volume.persistentVolumeClaim.claimName} not in the render`);
        else if (!(pvc.spec.accessModes || []).includes("ReadWriteMany")) p.push(`PersistentVolumeClaim ${pvc.metadata.name} is not ReadWriteMany: the members (and the backup jobs) on other nodes cannot all mount it`);
      }
    }
    if (jobs.length && !repos.has(archive)) p.push(`the backup jobs write to ${[...repos].join(", ")}, the agents archive into ${archive}: a restore needs both in one repository`);
    results.push({ name: `agents archive binlogs ${objId(mysql)}`, ok: p.length === 0, detail: p.join("; ") });
  }
  return results;
}

export function checkSemantics(docs, { externalSecrets = [] } = {}) {
  const ctx = {
    externalSecrets: new Set(externalSecrets),
    workloads: workloadsOf(docs),
    byKind(kind) {
      return new Map(docs.filter((d) => d.kind === kind && d.metadata).map((d) => [d.metadata.name, d]));
    },
  };
  const results = [];

  const ids = docs.map(objId);
  const dup = ids.filter((x, i) => ids.indexOf(x) !== i);
  results.push({ name: "unique objects", ok: dup.length === 0, detail: dup.map((d) => `duplicate ${d}`).join("; ") });

  if (ctx.workloads.length === 0) {
    results.push({ name: "has a workload", ok: false, detail: "no object with a pod template" });
  }
  for (const w of ctx.workloads) results.push(...checkWorkload(w, ctx));
  for (const d of docs) {
    if ((d.kind === "Service" && d.spec && d.spec.selector) || d.kind === "PodDisruptionBudget") {
      results.push(checkSelectors(d, ctx));
    }
  }
  results.push(...checkEtcd(ctx), ...checkRouter(ctx));
  results.push(checkInstanceLabels(docs, ctx), ...checkStartup(ctx), ...checkBufferPool(ctx), checkImages(ctx), ...checkSpread(ctx),
    ...checkNetworkPolicy(docs, ctx), ...checkBackup(docs, ctx));
  return results;
}

// ---------- expectations: "Kind/name:dot.path=value" (value "*": just present) ----------

export function getPath(obj, path) {
  let cur = obj;
  for (const part of path.split(".").filter(Boolean)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = cur[/^\d+$/.test(part) ? Number(part) : part];
  }
  return cur;
}

export function checkExpectation(docs, expr) {
  const m = /^([A-Za-z]+)\/([^:]+):([^=]+)=(.*)$/.exec(expr);
  if (!m) return { name: `expect ${expr}`, ok: false, detail: "malformed expectation" };
  const [, kind, name, path, want] = m;
  const doc = docs.find((d) => d.kind === kind && d.metadata && d.metadata.name === name);
  if (!doc) return { name: `expect ${expr}`, ok: false, detail: `${kind}/${name} not found` };
  const got = getPath(doc, path);
  // "*" asks only that the field is present.
  const ok = want === "*" ? got !== undefined : String(got) === want;
  return { name: `expect ${expr}`, ok, detail: ok ? "" : `got ${JSON.stringify(got)}` };
}

export async function validateDocs(docs, opts = {}) {
  const results = [];
  if (docs.length === 0) results.push({ name: "non-empty manifest", ok: false, detail: "no objects" });
  for (const d of docs) results.push(await checkSchema(d));
  results.push(...checkSemantics(docs, opts));
  for (const e of opts.expect || []) results.push(checkExpectation(docs, e));
  return results;
}
