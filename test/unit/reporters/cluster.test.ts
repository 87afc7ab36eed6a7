// The cluster report's human formats: nodes grouped into a few rows at 1,000 nodes, the nodes /
// workloads / images sections, and the one-line summary for a change ticket.
import { describe, expect, it } from "vitest";
import type { NodeEntry } from "../../../src/core/node.js";
import { buildReport, emptyCoverage } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, Severity, Subject } from "../../../src/core/types.js";
import { reporters } from "../../../src/reporters/index.js";
import { RULES } from "./sample.js";

const entry = (
  name: string,
  cls: NodeEntry["runtimeClass"],
  rt: string,
  v: string,
  k: string,
): NodeEntry => ({
  name,
  runtimeClass: cls,
  runtime: { name: rt, version: v },
  kubeletVersion: k,
  os: "linux",
  arch: "amd64",
});

const f = (ruleId: string, severity: Severity, subject: Subject): Finding => ({
  ruleId,
  slug: ruleId.toLowerCase(),
  severity,
  subject,
  origin: {},
  message: `${ruleId} on ${subject.name}`,
  remediation: "fix it",
  docs: `https://example.invalid/${ruleId}`,
});

function report() {
  const nodes: NodeEntry[] = [];
  for (let i = 0; i < 3; i++) nodes.push(entry(`dd-${i}`, "cri-dockerd", "docker", "25.0.5", "v1.29.10"));
  for (let i = 0; i < 997; i++)
    nodes.push(entry(`ctr-${String(i).padStart(3, "0")}`, "containerd", "containerd", "2.1.4", "v1.34.1"));
  const findings = [
    ...["dd-0", "dd-1", "dd-2"].map((n) => f("N002", "high", { kind: "Node", name: n })),
    f("W001", "critical", { kind: "DaemonSet", namespace: "mon", name: "agent", container: "a" }),
    f("W008", "high", { kind: "DaemonSet", namespace: "mon", name: "agent", container: "a" }),
    f("W010", "low", { kind: "Deployment", namespace: "ci", name: "runner", container: "dind" }),
  ];
  return buildReport({
    target: makeTarget({ k8s: "1.35", runtimes: "containerd@2.1" }),
    findings,
    coverage: { ...emptyCoverage(), objects: 1200, workloads: 2, containers: 2 },
    nodes,
    generatedAt: "2026-12-03T00:00:00.000Z",
    version: "0.1.0",
  });
}

const render = (format: "table" | "markdown" | "json") =>
  reporters[format](report(), { rules: RULES, color: false, width: 80 });

describe("cluster report", () => {
  it("groups 1,000 nodes into one table row per runtime class × version × kubelet", () => {
    const out = render("table");
    const nodes = out.slice(out.indexOf("NODES (1,000)"), out.indexOf("WORKLOADS"));
    expect(nodes).toMatch(/^cri-dockerd\s+docker 25\.0\.5\s+v1\.29\.10\s+3\s+dd-0, dd-1, dd-2$/m);
    expect(nodes).toMatch(
      /^containerd\s+containerd 2\.1\.4\s+v1\.34\.1\s+997\s+ctr-000, ctr-001, ctr-002, …$/m,
    );
    expect(nodes).not.toContain("ctr-500");
    // Node findings sit in the nodes section, workload findings in theirs, none twice.
    expect(nodes).toContain("N002");
    expect(nodes).not.toContain("W001");
    const workloads = out.slice(out.indexOf("WORKLOADS (3 findings)"), out.indexOf("IMAGES"));
    expect(workloads).toContain("W001");
    expect(workloads).not.toContain("N002");
    expect(out).toContain("Images were not checked (--no-images).");
  });

  it("prints a one-line summary for a change ticket, unwrapped", () => {
    const line =
      "kube-runtime-audit: 1,000 nodes (3 cri-dockerd, 997 containerd), 3 with findings (3 high); " +
      "2 workloads with findings (1 critical, 1 low); images not checked; target Kubernetes 1.35, containerd@2.1";
    expect(render("table").split("\n")).toContain(line);
    expect(render("markdown")).toContain(line);
  });

  it("gives markdown the same sections and JSON the nodes[] array", () => {
    const md = render("markdown");
    expect(md).toContain("#### Nodes (1000)");
    expect(md).toContain("| cri-dockerd | docker 25.0.5 | v1.29.10 | 3 | dd-0, dd-1, dd-2 |");
    expect(md.indexOf("#### Nodes")).toBeLessThan(md.indexOf("#### Workloads (3 findings)"));
    expect(md.indexOf("#### Workloads")).toBeLessThan(md.indexOf("#### Images (0 findings)"));
    const json = JSON.parse(render("json")) as { nodes: NodeEntry[] };
    expect(json.nodes).toHaveLength(1000);
    expect(json.nodes[0]).toEqual(entry("dd-0", "cri-dockerd", "docker", "25.0.5", "v1.29.10"));
  });
});
