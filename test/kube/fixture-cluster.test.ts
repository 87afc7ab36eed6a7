// The full fixture cluster (test/fixtures/cluster/NN-*.yaml) audited end to end through the real
// kubectl 1.35 as `kubectl runtime-audit`: the node and workload findings must be exactly
// test/fixtures/cluster/expected.ts, each once (workloads on their top owner), and the run must be
// read-only and never touch a secret with --no-images. The table output is a golden file
// (regenerate after an intended change: UPDATE_GOLDEN=1 npx vitest run --project kube
// test/kube/fixture-cluster.test.ts, and review it). Needs `npm run build` (as the cli suite).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFixtureCluster } from "../fakeapi/cluster-fixture.js";
import type { FakeApiServer } from "../fakeapi/server.js";
import {
  EXPECTED_FLAGS,
  EXPECTED_NODE_FINDINGS,
  EXPECTED_TARGET,
  EXPECTED_WORKLOAD_FINDINGS,
  type ExpectedFinding,
} from "../fixtures/cluster/expected.js";
import { Kubectl } from "./kubectl.js";

const ROOT = join(import.meta.dirname, "../..");

interface Report {
  findings: {
    ruleId: string;
    severity: string;
    subject: ExpectedFinding["subject"];
    origin: { uid?: string };
    evidence?: Record<string, string>;
  }[];
  nodes: { name: string; runtimeClass: string; runtime: { name: string; version: string } }[];
  target: { kubernetes: string };
  coverage: { errors: unknown[] };
}

let server: FakeApiServer;
let kubectl: Kubectl;
let pathEnv: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build` first");
  server = await startFixtureCluster();
  kubectl = new Kubectl(inject("kubectl"), server);
  const bin = join(kubectl.home, "bin");
  mkdirSync(bin);
  symlinkSync(join(ROOT, "bin/kube-runtime-audit.js"), join(bin, "kubectl-runtime_audit"));
  pathEnv = [bin, dirname(process.execPath), "/usr/bin", "/bin"].join(":");
});
afterAll(async () => {
  await server?.close();
  kubectl?.cleanup();
});

const sig = (f: { ruleId: string; severity: string; subject: ExpectedFinding["subject"] }) =>
  [
    f.ruleId,
    f.severity,
    f.subject.kind,
    f.subject.namespace ?? "",
    f.subject.name,
    f.subject.container ?? "",
  ].join(" ");

describe("kubectl runtime-audit on the full fixture cluster", () => {
  it("reports exactly the expected node and workload findings, each once, reading only", async () => {
    server.log.length = 0;
    const r = await kubectl.run(
      ["runtime-audit", "--kubeconfig", kubectl.kubeconfig, "--no-images", "-o", "json", ...EXPECTED_FLAGS],
      { PATH: pathEnv, NO_COLOR: "1" },
      true,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.target.kubernetes).toBe(EXPECTED_TARGET.k8s);
    expect(report.coverage.errors).toEqual([]);
    const workload = report.findings.filter((f) => f.subject.kind !== "Node");
    expect(workload.map(sig).sort()).toEqual(EXPECTED_WORKLOAD_FINDINGS.map(sig).sort());
    const nodeFindings = report.findings.filter((f) => f.subject.kind === "Node");
    expect(nodeFindings.map(sig).sort()).toEqual(EXPECTED_NODE_FINDINGS.map(sig).sort());
    // Each node finding carries its Node's uid; nodes[] lists every node once.
    for (const f of nodeFindings) expect(f.origin.uid, sig(f)).toMatch(/./);
    expect(report.nodes.map((n) => n.name).sort()).toEqual(
      [...new Set(report.nodes.map((n) => n.name))].sort(),
    );
    expect(report.nodes).toHaveLength(10);
    expect(report.nodes.find((n) => n.name === "dockershim-a")).toMatchObject({
      runtimeClass: "dockershim",
      runtime: { name: "docker", version: "20.10.24" },
    });
    // Nothing lands on what a listed controller owns.
    for (const f of workload) expect(["ReplicaSet"]).not.toContain(f.subject.kind);
    expect(workload.some((f) => f.subject.kind === "Job" && f.subject.name.startsWith("image-prune-"))).toBe(
      false,
    );

    // Read-only, and no secret at all with --no-images (ci/deploy-key, ci/regcred, ...).
    expect(server.log.length).toBeGreaterThan(0);
    expect(server.log.filter((e) => e.method !== "GET")).toEqual([]);
    expect(server.log.filter((e) => e.resource === "secrets")).toEqual([]);
    // The unserved SparkApplication kind is never queried; the gone ReplicaSet at most once by name.
    expect(server.log.filter((e) => e.path.includes("sparkoperator"))).toEqual([]);
    expect(
      server.log.filter((e) => e.resource === "replicasets" && e.name === "old-api-6d8f7c9b5").length,
    ).toBeLessThanOrEqual(1);
  });

  it("prints the nodes, workloads and images sections and a summary line (golden table)", async () => {
    const r = await kubectl.run(
      ["runtime-audit", "--kubeconfig", kubectl.kubeconfig, "--no-images", ...EXPECTED_FLAGS],
      { PATH: pathEnv, NO_COLOR: "1" },
      true,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const file = join(ROOT, "test/golden/cli/scan.fixture-cluster.table.txt");
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, r.stdout);
    expect(r.stdout).toBe(readFileSync(file, "utf8"));
  });

  it("--kubelet-config reads each kubelet's configz; a refused or unreachable kubelet is skipped", async () => {
    server.log.length = 0;
    // containerd17-b (a CgroupV1 event) runs with failCgroupV1: false, which 1.35 still honours;
    // crio-a's configz is refused (no nodes/proxy); every other kubelet is unreachable (503).
    server.kubeletConfigz.set("containerd17-b", {
      kubeletconfig: { cgroupDriver: "systemd", failCgroupV1: false },
    });
    server.kubeletConfigz.set("containerd23-a", {
      kubeletconfig: { containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock" },
    });
    server.faults.push({ path: "/api/v1/nodes/crio-a/proxy/configz", status: 403 });
    try {
      const r = await kubectl.run(
        [
          "runtime-audit",
          "--kubeconfig",
          kubectl.kubeconfig,
          "--no-images",
          "--kubelet-config",
          "-o",
          "json",
          "--quiet",
          ...EXPECTED_FLAGS,
        ],
        { PATH: pathEnv, NO_COLOR: "1" },
        true,
      );
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as Report & {
        coverage: { skipped: { source: string; reason: string }[] };
      };
      expect(report.coverage.errors).toEqual([]);
      const skipped = new Map(report.coverage.skipped.map((i) => [i.source, i.reason]));
      expect(skipped.get("Node crio-a")).toBe(
        "kubelet configz not read: missing permission: get nodes/proxy (cluster-wide)",
      );
      expect(skipped.get("Node containerd16-a")).toMatch(/kubelet configz not read: .*503/);
      expect(skipped.has("Node containerd17-b")).toBe(false);
      expect(skipped.has("Node containerd23-a")).toBe(false);
      expect(skipped.size).toBe(8);
      const n008 = report.findings.filter((f) => f.ruleId === "N008");
      expect(n008.map((f) => [f.subject.name, f.severity]).sort()).toEqual([
        ["containerd16-a", "critical"],
        ["containerd17-b", "medium"],
      ]);
      expect(n008.find((f) => f.subject.name === "containerd17-b")?.evidence?.failCgroupV1).toBe("false");
      // Only GETs, one or two (a retry) per kubelet, through nodes/proxy.
      expect(server.log.filter((e) => e.method !== "GET")).toEqual([]);
      const proxied = server.log.filter((e) => e.resource === "nodes/proxy");
      expect(new Set(proxied.map((e) => e.name)).size).toBe(10);
      expect(proxied.length).toBeLessThanOrEqual(20);
    } finally {
      server.kubeletConfigz.clear();
      server.faults.length = 0;
    }
  });
});
