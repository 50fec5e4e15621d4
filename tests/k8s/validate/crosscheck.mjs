// Two rendered clusters applied to one namespace must not touch each other: no shared object
// name, and no selector (Service, PDB, workload, NetworkPolicy, affinity, PodMonitor) of one
// selects the other's pods.
//
//   node crosscheck.mjs A.yaml B.yaml
//
// Output and exit code as in validate.mjs.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { checkCrossCluster, parseDocs } from "./lib.mjs";

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error("usage: node crosscheck.mjs A.yaml B.yaml");
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const r of checkCrossCluster(parseDocs(readFileSync(a, "utf8")), parseDocs(readFileSync(b, "utf8")), basename(a), basename(b))) {
  if (r.ok) passed++;
  else failed++;
  console.log(r.ok ? `ok   cross: ${r.name}` : `FAIL cross: ${r.name}: ${r.detail}`);
}
console.log(`RESULT passed=${passed} failed=${failed}`);
process.exit(failed === 0 ? 0 : 1);
