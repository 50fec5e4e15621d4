// Validates rendered Kubernetes manifests (multi-document YAML files).
//
//   node validate.mjs [--external-secret NAME]... [--expect Kind/name:dot.path=value]... FILE...
//
// Prints one line per check ("ok   name" or "FAIL name: why"), then "RESULT passed=N failed=M".
// Exits 1 if any check failed, 2 on bad usage or unreadable input.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseDocs, validateDocs } from "./lib.mjs";

const files = [];
const externalSecrets = [];
const expect = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--external-secret" && i + 1 < argv.length) externalSecrets.push(argv[++i]);
  else if (a === "--expect" && i + 1 < argv.length) expect.push(argv[++i]);
  else if (a.startsWith("--")) {
    console.error(`validate.mjs: unknown option ${a}`);
    process.exit(2);
  } else files.push(a);
}
if (files.length === 0) {
  console.error("usage: node validate.mjs [--external-secret NAME]... [--expect Kind/name:path=value]... FILE...");
  process.exit(2);
}

let passed = 0;
let failed = 0;
for (const file of files) {
  const label = basename(file);
  let docs;
  try {
    docs = parseDocs(readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`FAIL ${label}: cannot read or parse: ${String(e.message).split("\n")[0]}`);
    failed++;
    continue;
  }
  for (const r of await validateDocs(docs, { externalSecrets, expect })) {
    if (r.ok) {
      passed++;
      console.log(`ok   ${label}: ${r.name}`);
    } else {
      failed++;
      console.log(`FAIL ${label}: ${r.name}: ${r.detail}`);
    }
  }
}
console.log(`RESULT passed=${passed} failed=${failed}`);
process.exit(failed === 0 ? 0 : 1);
