// A generated cluster (2,000 pods): every template audited once on its Deployment, no object read
// twice, and the lists paged at 500.
import { afterEach, describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import { scanCluster } from "../../../src/scan/cluster.js";
import { generateCluster } from "../../fakeapi/generate.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("scanCluster on a generated cluster", () => {
  it("audits each Deployment's template once and reads nothing by name", async () => {
    h = await harness({ fixtures: [] });
    for (const o of generateCluster({
      namespaces: 20,
      deploymentsPerNamespace: 10,
      podsPerDeployment: 10,
      nodes: 50,
    }))
      h.server.add(o);
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
    });
    // Every 50th Deployment mounts the Docker socket: d = 0, 50, 100, 150.
    // The generated nodes get their own findings (N-rules, one per node and rule at most): not counted here.
    const workload = r.findings.filter((f) => f.subject.kind !== "Node");
    expect(r.nodeEntries).toHaveLength(50);
    expect(
      workload.map((f) => `${f.ruleId} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`),
    ).toEqual([
      "W001 Deployment/ns-000/app-0",
      "W001 Deployment/ns-005/app-0",
      "W001 Deployment/ns-010/app-0",
      "W001 Deployment/ns-015/app-0",
    ]);
    expect(r.coverage.workloads).toBe(200);
    expect(r.coverage.errors).toEqual([]);
    const log = h.server.log;
    expect(log.filter((e) => e.verb === "get")).toEqual([]);
    expect(log.filter((e) => e.path === "/api/v1/pods").map((e) => e.query.limit)).toEqual([
      "500",
      "500",
      "500",
      "500",
    ]);
  });
});
