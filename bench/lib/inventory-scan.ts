/**
 * bench/cluster's stand-in for `scan` when the built CLI has none (`--direct`): `readInventory` from
 * src/kube plus the workload rules over every listed object that no listed controller owns (a
 * Deployment, not its ReplicaSets or pods), findings to stdout as JSON. It measures the same reads and
 * the same engine, without the owner lookups, node rules and reporters of the real command.
 * Usage: node --import ./bench/lib/ts-hooks.ts bench/lib/inventory-scan.ts <kubeconfig>
 */
import { auditObject } from "../../src/core/rule.js";
import { makeTarget } from "../../src/core/target.js";
import { isObject, type JsonObject, toK8sObject } from "../../src/core/workload.js";
import { ClusterClient, readInventory } from "../../src/kube/index.js";
import { workloadRules } from "../../src/rules/workload/index.js";

const kubeconfig = process.argv[2];
if (!kubeconfig) throw new Error("usage: inventory-scan.ts <kubeconfig>");
const client = ClusterClient.fromKubeConfig({ kubeconfig });
const inv = await readInventory(client);
const uids = new Set<string>();
for (const o of [...inv.workloads, ...inv.pods]) {
  const md = isObject(o.metadata) ? o.metadata : {};
  if (typeof md.uid === "string") uids.add(md.uid);
}
const ownedByListed = (o: JsonObject) => {
  const md = isObject(o.metadata) ? o.metadata : {};
  return (Array.isArray(md.ownerReferences) ? md.ownerReferences : []).some(
    (r) => isObject(r) && r.controller === true && typeof r.uid === "string" && uids.has(r.uid),
  );
};
const target = makeTarget({});
const findings = [];
for (const o of [...inv.workloads, ...inv.pods]) {
  if (ownedByListed(o)) continue;
  findings.push(
    ...auditObject(toK8sObject(o, {}), workloadRules, { target }, { ignore: new Set() }).findings,
  );
}
process.stdout.write(JSON.stringify({ findings, nodes: inv.nodes.length, pods: inv.pods.length }));
