// Negative self-tests: the validator must reject deliberately broken manifests, so that a
// validator that accepts everything cannot go unnoticed.
//
//   node selftest.mjs RENDERED.yaml
//
// Each case mutates a fresh copy of a valid render (the base) and requires that the named
// check fails. A control case requires the unmutated render to pass. Output and exit code as
// in validate.mjs.
import { readFileSync } from "node:fs";
import { parseDocs, validateDocs } from "./lib.mjs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node selftest.mjs RENDERED.yaml");
  process.exit(2);
}
const text = readFileSync(file, "utf8");
const opts = { externalSecrets: ["mysql-secrets"] };

const sts = (docs) => docs.find((d) => d.kind === "StatefulSet" && d.metadata.name === "mysql");
const pod = (docs) => sts(docs).spec.template.spec;
const container = (docs, name) =>
  [...(pod(docs).initContainers || []), ...pod(docs).containers].find((c) => c.name === name);
const svc = (docs, name) => docs.find((d) => d.kind === "Service" && d.metadata.name === name);
const etcd = (docs) => docs.find((d) => d.kind === "StatefulSet" && d.metadata.name === "etcd");
const routerCm = (docs) => docs.find((d) => d.kind === "ConfigMap" && d.metadata.name.startsWith("mysql-router"));
const editCfg = (docs, from, to) => {
  const cm = routerCm(docs);
  if (!cm.data["haproxy.cfg"].includes(from)) throw new Error(`haproxy.cfg has no ${from}`);
  cm.data["haproxy.cfg"] = cm.data["haproxy.cfg"].split(from).join(to);
};

// [case name, mutation, substring of the failing check's name, substring of its detail]
const cases = [
  ["misspelled container field", (d) => { const c = container(d, "agent"); c.readinesProbe = c.readinessProbe; delete c.readinessProbe; },
    "schema StatefulSet/", "readinesProbe"],
  ["misspelled pod spec field", (d) => { pod(d).terminationGracePeriod = 60; }, "schema StatefulSet/", "terminationGracePeriod"],
  ["misspelled field deep in a probe", (d) => { container(d, "agent").readinessProbe.httpGet.paht = "/readyz"; }, "schema StatefulSet/", "paht"],
  ["misspelled Service field", (d) => { svc(d, "mysql").spec.publishNotReadyAdresses = true; }, "schema Service/mysql", "publishNotReadyAdresses"],
  ["unknown top-level field", (d) => { sts(d).specs = {}; }, "schema StatefulSet/", "specs"],
  ["wrong type: replicas as string", (d) => { sts(d).spec.replicas = "three"; }, "schema StatefulSet/", "replicas"],
  ["wrong type: containerPort as string", (d) => { container(d, "mariadbd").ports[0].containerPort = "3306"; }, "schema StatefulSet/", "containerPort"],
  ["wrong type: command as string", (d) => { container(d, "init").command = "mysqlset init"; }, "schema StatefulSet/", "command"],
  ["bad enum: podManagementPolicy", (d) => { sts(d).spec.podManagementPolicy = "Ordered"; }, "schema StatefulSet/", "podManagementPolicy"],
  ["missing required field: selector", (d) => { delete sts(d).spec.selector; }, "schema StatefulSet/", "selector"],
  ["unknown kind", (d) => { svc(d, "mysql").kind = "Servise"; }, "schema Servise/mysql", "no schema"],
  ["mount of an unknown volume", (d) => { container(d, "agent").volumeMounts.push({ name: "dta", mountPath: "/x" }); },
    "volumeMounts name existing volumes", "dta"],
  ["agent without --kill-server-to-reclone", (d) => { const c = container(d, "agent"); c.command = c.command.filter((a) => a !== "--kill-server-to-reclone"); },
    "re-clone in their own pod", "--kill-server-to-reclone"],
  ["mariadbd started without the clone step", (d) => { container(d, "mariadbd").command = ["mariadbd", "--defaults-file=/etc/mysql/conf.d/my.cnf"]; },
    "re-clone in their own pod", "cannot act on a re-clone request"],
  ["container without POD_NAME", (d) => { container(d, "clone").env = []; }, "POD_NAME env", "clone"],
  ["probe names another container's port", (d) => { container(d, "mariadbd").livenessProbe.httpGet.port = "agent"; },
    "probes use valid ports", "agent"],
  ["probe on an undeclared port number", (d) => { container(d, "agent").readinessProbe.httpGet.port = 9090; },
    "probes use valid ports", "9090"],
  ["serviceName without a Service", (d) => { sts(d).spec.serviceName = "mysqld"; }, "serviceName is a headless Service", "mysqld"],
  ["serviceName names a non-headless Service", (d) => { sts(d).spec.serviceName = "mysql-read"; },
    "serviceName is a headless Service", "not headless"],
  ["selector does not match template", (d) => { sts(d).spec.selector.matchLabels["app.kubernetes.io/name"] = "other"; },
    "selector matches pod template labels", "does not match"],
  ["Service selects nothing", (d) => { svc(d, "mysql-read").spec.selector["app.kubernetes.io/component"] = "db"; },
    "selector selects pods Service/mysql-read", "no pod"],
  ["primary Service selects an ordinal beyond replicas", (d) => { svc(d, "mysql-primary").spec.selector["statefulset.kubernetes.io/pod-name"] = "mysql-7"; },
    "selector selects pods Service/mysql-primary", "no pod"],
  ["Service targetPort not on the pods", (d) => { svc(d, "mysql").spec.ports[0].targetPort = "mysqld"; },
    "selector selects pods Service/mysql", "mysqld"],
  ["runAsNonRoot missing", (d) => { delete pod(d).securityContext.runAsNonRoot; }, "runAsNonRoot", "may run as root"],
  ["Secret volume world-readable (Kubernetes' default mode)", (d) => { delete pod(d).volumes.find((v) => v.secret).secret.defaultMode; },
    "secret file modes pass mysqlset's check", "readable by others"],
  ["ConfigMap reference not rendered", (d) => { pod(d).volumes.find((v) => v.configMap).configMap.name = "mysql"; },
    "configMap/secret volumes resolve", "ConfigMap mysql"],
  ["router's write backend checks /readyz instead of /primary", (d) => editCfg(d, "GET /primary", "GET /readyz"),
    "router checks the agents", "GET /primary"],
  ["router's read backend checks /readyz instead of /replica", (d) => editCfg(d, "GET /replica", "GET /readyz"),
    "router checks the agents", "GET /replica"],
  ["router checks the wrong port", (d) => editCfg(d, "check port 8080", "check port 3307"),
    "router checks the agents", "agent port 8080"],
  ["router keeps a demoted primary's sessions", (d) => editCfg(d, " on-marked-down shutdown-sessions", ""),
    "router checks the agents", "shutdown-sessions"],
  ["router writes while two members are listed as primary", (d) => editCfg(d, "    tcp-request connection reject unless { nbsrv(primary) eq 1 }\n", ""),
    "router checks the agents", "nbsrv(primary) eq 1"],
  ["router stops on a missing member", (d) => editCfg(d, " init-addr last,libc,none", ""),
    "router checks the agents", "init-addr"],
  ["more members than the router lists", (d) => { sts(d).spec.replicas = 12; },
    "router checks the agents", "mysql-11"],
  ["mysql-primary reaches the read frontend", (d) => { svc(d, "mysql-primary").spec.ports[0].targetPort = "read"; },
    "router checks the agents", "GET /primary"],
  ["agent names an etcd member that does not exist", (d) => {
    const c = container(d, "agent");
    const i = c.command.indexOf("--etcd");
    c.command[i + 1] = c.command[i + 1].replace("etcd-2.etcd", "etcd-3.etcd");
  }, "agents reach every etcd member", "etcd-3"],
  ["clone without --etcd", (d) => { const c = container(d, "clone"); c.command.splice(c.command.indexOf("--etcd"), 2); },
    "agents reach every etcd member", "clone: no --etcd"],
  ["etcd with --config-file", (d) => { etcd(d).spec.template.spec.containers[0].command.push("--config-file=/etc/etcd.yaml"); },
    "etcd is configured by flags", "etcd#12297"],
  ["etcd started OrderedReady", (d) => { etcd(d).spec.podManagementPolicy = "OrderedReady"; },
    "etcd is configured by flags", "Parallel"],
  ["agent without semi-sync", (d) => { const c = container(d, "agent").command; c.splice(c.indexOf("--semi-sync"), 1); },
    "lossless semi-sync", "--semi-sync"],
  ["mysql pods without a shared process namespace", (d) => { delete pod(d).shareProcessNamespace; },
    "share their process namespace", "SIGKILL"],
  ["agent without the preStop hand-over", (d) => { delete container(d, "agent").lifecycle; },
    "hand the primary over", "agent: preStop"],
  ["mariadbd stops before the hand-over", (d) => { delete container(d, "mariadbd").lifecycle; },
    "hand the primary over", "mariadbd: preStop"],
  ["agent's preStop does not drain the read endpoints", (d) => { const c = container(d, "agent").lifecycle.preStop.exec.command; c.splice(c.indexOf("--drain"), 1); },
    "hand the primary over", "agent: preStop is not `mysqlset switchover ... --drain`"],
  ["mariadbd stops before the routers notice the drain", (d) => { const c = container(d, "mariadbd").lifecycle.preStop.exec.command; c.splice(c.indexOf("--drain-wait"), 2); },
    "hand the primary over", "--drain-wait"],
  ["preStop outlasts the grace period", (d) => { pod(d).terminationGracePeriodSeconds = 30; },
    "hand the primary over", "terminationGracePeriodSeconds 30"],
  // Issue 16: production rules.
  ["Service selects by pod name, not instance", (d) => { const s = svc(d, "mysql-primary").spec.selector; delete s["app.kubernetes.io/instance"]; s["statefulset.kubernetes.io/pod-name"] = "mysql-0"; },
    "selectors carry the instance label", "Service/mysql-primary"],
  ["PDB selector without the instance", (d) => { delete d.find((x) => x.kind === "PodDisruptionBudget" && x.metadata.name === "mysql").spec.selector.matchLabels["app.kubernetes.io/instance"]; },
    "selectors carry the instance label", "PodDisruptionBudget/mysql"],
  ["NetworkPolicy member peer without the instance", (d) => { delete d.find((x) => x.kind === "NetworkPolicy" && x.metadata.name === "mysql").spec.ingress[1].from[0].podSelector.matchLabels["app.kubernetes.io/instance"]; },
    "selectors carry the instance label", "NetworkPolicy/mysql"],
  ["missing startupProbe", (d) => { delete container(d, "mariadbd").startupProbe; }, "startupProbe allows crash recovery", "no startupProbe"],
  ["startupProbe too short for crash recovery", (d) => { container(d, "mariadbd").startupProbe.failureThreshold = 30; },
    "startupProbe allows crash recovery", "300 s"],
  ["mariadbd without a memory limit", (d) => { delete container(d, "mariadbd").resources.limits; },
    "buffer pool follows the memory limit", "no memory limit"],
  ["init without --memory-limit", (d) => { const c = container(d, "init"); c.command.splice(c.command.indexOf("--memory-limit"), 2); },
    "buffer pool follows the memory limit", "no --memory-limit"],
  ["buffer pool from the agent's limit", (d) => { container(d, "init").env.find((e) => e.name === "MARIADBD_MEMORY_LIMIT").valueFrom.resourceFieldRef.containerName = "agent"; },
    "buffer pool follows the memory limit", "not the resourceFieldRef"],
  ["unpinned image (latest)", (d) => { container(d, "agent").image = "mysqlset:latest"; }, "images are pinned", "agent"],
  ["image without a tag", (d) => { etcd(d).spec.template.spec.containers[0].image = "quay.io/coreos/etcd"; }, "images are pinned", "no tag"],
  ["members without anti-affinity", (d) => { delete pod(d).affinity; }, "pods spread across nodes StatefulSet/mysql", "one node"],
  ["anti-affinity that selects another instance's pods", (d) => {
    pod(d).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels["app.kubernetes.io/instance"] = "orders"; },
    "pods spread across nodes StatefulSet/mysql", "one node"],
  ["no NetworkPolicy for the members", (d) => {
    for (let i = d.length - 1; i >= 0; i--) {
      if (d[i].kind === "NetworkPolicy" && d[i].spec.podSelector.matchLabels["app.kubernetes.io/component"] === "database") d.splice(i, 1);
    } },
    "NetworkPolicy guards the members", "no NetworkPolicy"],
  ["backup port open to every pod in the namespace", (d) => { d.find((x) => x.kind === "NetworkPolicy" && x.metadata.name === "mysql").spec.ingress[1].from.push({ podSelector: {} }); },
    "NetworkPolicy guards the members", "port 3307 admits"],
  ["no mysql-replica Service", (d) => { d.splice(d.indexOf(svc(d, "mysql-replica")), 1); }, "router checks the agents", "replica-only"],
];

// With the backup layer (deploy/kubernetes/backup): its CronJobs and the agents' archive.
const cronjob = (docs, name = "mysql-backup") => docs.find((d) => d.kind === "CronJob" && d.metadata.name === name);
const jobPod = (docs) => cronjob(docs).spec.jobTemplate.spec.template.spec;
const jobC = (docs) => jobPod(docs).containers[0];
const setFlag = (argv, flag, value) => { argv[argv.indexOf(flag) + 1] = value; };
const backupCases = [
  ["schema: misspelled CronJob field", (d) => { cronjob(d).spec.concurencyPolicy = "Forbid"; }, "schema CronJob/mysql-backup", "concurencyPolicy"],
  ["schema: misspelled field in the job's pod", (d) => { jobPod(d).restartPolcy = "Never"; }, "schema CronJob/mysql-backup", "restartPolcy"],
  ["backups may overlap", (d) => { cronjob(d).spec.concurrencyPolicy = "Allow"; }, "backup job CronJob/mysql-backup", "not Forbid"],
  ["no startingDeadlineSeconds", (d) => { delete cronjob(d).spec.startingDeadlineSeconds; }, "backup job CronJob/mysql-backup", "startingDeadlineSeconds"],
  ["no backoffLimit", (d) => { delete cronjob(d).spec.jobTemplate.spec.backoffLimit; }, "backup job CronJob/mysql-backup", "backoffLimit"],
  ["backup of another cluster", (d) => { setFlag(jobC(d).command, "--cluster", "orders-mysql"); }, "backup job CronJob/mysql-backup", "is not the StatefulSet"],
  ["token file outside the Secret", (d) => { setFlag(jobC(d).command, "--token-file", "/backups/token"); }, "backup job CronJob/mysql-backup", "not in a mounted Secret"],
  ["the whole Secret mounted in the backup pod", (d) => { delete jobPod(d).volumes.find((v) => v.secret).secret.items; }, "backup job CronJob/mysql-backup", "only backup-token"],
  ["backup pod's root filesystem writable", (d) => { jobC(d).securityContext.readOnlyRootFilesystem = false; }, "backup job CronJob/mysql-backup", "root filesystem writable"],
  ["backup pod without /tmp", (d) => { const c = jobC(d); c.volumeMounts = c.volumeMounts.filter((m) => m.mountPath !== "/tmp"); }, "backup job CronJob/mysql-backup", "/tmp"],
  ["repository not mounted in the backup pod", (d) => { const c = jobC(d); c.volumeMounts = c.volumeMounts.filter((m) => m.mountPath !== "/backups"); }, "backup job CronJob/mysql-backup", "not on a writable mounted volume"],
  ["backup job writes elsewhere than the agents archive", (d) => { setFlag(jobC(d).command, "--repo", "rclone:s3:b/x"); }, "backup job CronJob/mysql-backup", "a restore needs both"],
  ["backup pods not admitted to the members", (d) => { d.splice(d.findIndex((x) => x.kind === "NetworkPolicy" && x.metadata.name === "mysql-backup"), 1); },
    "backup job CronJob/mysql-backup", "port 3307"],
  ["backup port opened to every pod for the backups", (d) => { d.find((x) => x.kind === "NetworkPolicy" && x.metadata.name === "mysql-backup").spec.ingress[0].from[0].podSelector.matchLabels = { "app.kubernetes.io/instance": "mysql" }; },
    "NetworkPolicy guards the members", "port 3307 admits"],
  ["agents without --archive-repo", (d) => { const c = sts(d).spec.template.spec.containers.find((x) => x.name === "agent"); c.command.splice(c.command.indexOf("--archive-repo"), 2); },
    "agents archive binlogs StatefulSet/mysql", "no --archive-repo"],
  ["archive on a volume the other nodes cannot mount", (d) => { d.find((x) => x.kind === "PersistentVolumeClaim" && x.metadata.name === "mysql-backups").spec.accessModes = ["ReadWriteOnce"]; },
    "agents archive binlogs StatefulSet/mysql", "not ReadWriteMany"],
  ["backup image unpinned", (d) => { jobC(d).image = "mysqlset:latest"; }, "images are pinned", "CronJob/mysql-backup"],
];
if (cronjob(parseDocs(text))) cases.push(...backupCases);

let passed = 0;
let failed = 0;
const report = (ok, name, detail) => {
  if (ok) passed++;
  else failed++;
  console.log(ok ? `ok   selftest: ${name}` : `FAIL selftest: ${name}: ${detail}`);
};

// Control: the unmutated render passes every check.
{
  const bad = (await validateDocs(parseDocs(text), opts)).filter((r) => !r.ok);
  report(bad.length === 0, "control: unmodified render passes", bad.map((r) => `${r.name}: ${r.detail}`).join("; "));
}

for (const [name, mutate, check, detail] of cases) {
  const docs = parseDocs(text);
  mutate(docs);
  const results = await validateDocs(docs, opts);
  const hit = results.find((r) => !r.ok && r.name.includes(check) && r.detail.includes(detail));
  const failures = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
  report(Boolean(hit), `rejects ${name}`,
    failures.length ? `failed, but not as expected (${check} / ${detail}): ${failures.join("; ")}` : "validator accepted it");
}

console.log(`RESULT passed=${passed} failed=${failed}`);
process.exit(failed === 0 ? 0 : 1);
