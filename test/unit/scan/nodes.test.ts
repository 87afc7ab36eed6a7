// The node audit of the live scan (src/scan/nodes.ts): the N-rules through the one engine, with the
// policy, the ignore annotation, CgroupV1 events and kubelet configz as evidence, and failures as coverage.
import { describe, expect, it } from "vitest";
import { type NodeRule, parseAsOf } from "../../../src/core/node.js";
import { IGNORE_ANNOTATION } from "../../../src/core/policy.js";
import { emptyCoverage } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";
import { auditNodes, scanNodes } from "../../../src/scan/nodes.js";

const target = makeTarget({ k8s: "1.35", runtimes: "containerd@2.3" });
const asOf = parseAsOf("2026-12-03");

function node(name: string, runtime: string, kubelet: string, annotations: Record<string, string> = {}) {
  return {
    metadata: { name, uid: `uid-${name}`, annotations },
    status: {
      nodeInfo: {
        containerRuntimeVersion: runtime,
        kubeletVersion: kubelet,
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

const cgroupEvent = (n: string) => ({
  type: "Warning",
  reason: "CgroupV1",
  involvedObject: { kind: "Node", name: n },
  lastTimestamp: "2026-11-30T10:00:00Z",
});

const ids = (fs: readonly Finding[], name: string) =>
  fs.filter((f) => f.subject.name === name && !f.suppressed).map((f) => `${f.ruleId}:${f.severity}`);

describe("auditNodes", () => {
  it("reports node findings on {kind: Node, name} with the node's uid, and lists every node", async () => {
    const a = await auditNodes(
      [node("old", "docker://20.10.24", "v1.23.17"), node("new", "containerd://2.1.4", "v1.34.1")],
      [],
      { target, asOf, ignore: new Set() },
    );
    const n001 = a.findings.find((f) => f.ruleId === "N001");
    expect(n001?.subject).toEqual({ kind: "Node", name: "old" });
    expect(n001?.origin).toEqual({ uid: "uid-old" });
    expect(a.findings.every((f) => f.path === undefined)).toBe(true);
    expect(a.nodes).toEqual([
      {
        name: "old",
        runtimeClass: "dockershim",
        runtime: { name: "docker", version: "20.10.24" },
        kubeletVersion: "v1.23.17",
        os: "linux",
        arch: "amd64",
      },
      {
        name: "new",
        runtimeClass: "containerd",
        runtime: { name: "containerd", version: "2.1.4" },
        kubeletVersion: "v1.34.1",
        os: "linux",
        arch: "amd64",
      },
    ]);
    expect(a.errors).toEqual([]);
  });

  it("turns CgroupV1 events into N008 evidence, and configz's failCgroupV1 into its severity", async () => {
    const nodes = [
      node("v1", "containerd://2.1.4", "v1.34.1"),
      node("v1-opt-out", "containerd://2.1.4", "v1.34.1"),
    ];
    const events = [cgroupEvent("v1"), cgroupEvent("v1-opt-out")];
    const without = await auditNodes(nodes, events, { target, asOf, ignore: new Set() });
    expect(ids(without.findings, "v1")).toContain("N008:critical");
    expect(ids(without.findings, "v1-opt-out")).toContain("N008:critical");
    const read: string[] = [];
    const withConfig = await auditNodes(nodes, events, {
      target,
      asOf,
      ignore: new Set(),
      readConfigz: async (n) => {
        read.push(n);
        return JSON.stringify({
          kubeletconfig: { failCgroupV1: n !== "v1-opt-out", cgroupDriver: "systemd" },
        });
      },
    });
    expect(read.sort()).toEqual(["v1", "v1-opt-out"]);
    expect(ids(withConfig.findings, "v1")).toContain("N008:critical");
    // 1.35 honours failCgroupV1: false.
    expect(ids(withConfig.findings, "v1-opt-out")).toContain("N008:medium");
  });

  it("makes an unreadable kubelet a skipped coverage entry and goes on", async () => {
    const a = await auditNodes(
      [node("a", "containerd://1.7.28", "v1.34.1"), node("b", "containerd://1.7.28", "v1.34.1")],
      [],
      {
        target,
        asOf,
        ignore: new Set(),
        readConfigz: async (n) => {
          if (n === "a") throw new Error("forbidden: nodes/proxy");
          return "not json";
        },
      },
    );
    expect(a.skipped.map((i) => i.source)).toEqual(["Node a", "Node b"]);
    expect(a.skipped[0]?.reason).toContain("forbidden: nodes/proxy");
    expect(a.skipped[1]?.reason).toContain("not JSON");
    expect(a.errors).toEqual([]);
    expect(ids(a.findings, "a")).toContain("N004:medium");
  });

  it("applies --ignore, the Node's ignore annotation and the config policy", async () => {
    const nodes = [
      node("annotated", "docker://20.10.24", "v1.23.17", { [IGNORE_ANNOTATION]: "N006" }),
      node("plain", "docker://20.10.24", "v1.23.17"),
    ];
    const a = await auditNodes(nodes, [], {
      target,
      asOf,
      ignore: new Set(["N005"]),
      policy: {
        severity: new Map([
          ["N001", "low"],
          ["N003", "off"],
        ]),
        exemptions: [{ kinds: ["Node"], names: ["plain"], rules: ["N006"], reason: "replaced next week" }],
      },
    });
    const byRule = (name: string, id: string) =>
      a.findings.find((f) => f.subject.name === name && f.ruleId === id);
    expect(byRule("annotated", "N006")?.suppressedBy).toBe("annotation");
    expect(byRule("plain", "N006")?.suppressedBy).toBe("config");
    expect(byRule("plain", "N005")?.suppressedBy).toBe("flag");
    expect(byRule("plain", "N001")?.severity).toBe("low");
    expect(a.findings.some((f) => f.ruleId === "N003")).toBe(false);
  });

  it("makes a rule that throws a coverage error naming the rule and the node, not a finding", async () => {
    const broken: NodeRule = {
      id: "N999",
      slug: "broken",
      title: "broken",
      category: "node",
      description: "",
      remediation: "",
      defaultSeverity: "high",
      check() {
        throw new Error("boom");
      },
    };
    const coverage = emptyCoverage();
    const findings: Finding[] = [];
    const a = await auditNodes([node("x", "containerd://2.1.4", "v1.34.1")], [], {
      target,
      asOf,
      ignore: new Set(),
      rules: [broken],
    });
    expect(a.errors).toEqual([{ source: "Node x", reason: "rule N999 failed: boom" }]);
    // scanNodes with the real rules: no errors, findings appended to the scan's.
    const entries = await scanNodes(
      { nodeProxyGet: async () => "{}" },
      { nodes: [node("x", "docker://20.10.24", "v1.23.17")], cgroupV1Events: [] },
      target,
      { ignore: new Set(), asOf },
      { findings, coverage },
    );
    expect(entries.map((e) => e.name)).toEqual(["x"]);
    expect(findings.map((f) => f.ruleId)).toContain("N001");
    expect(coverage.errors).toEqual([]);
  });
});
