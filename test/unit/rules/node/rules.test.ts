/**
 * Every node rule, table-driven: the node (runtime, kubelet, OS, annotations), the target Kubernetes minor,
 * the target runtimes, the report day and the evidence decide whether the rule fires and at which severity.
 * Each case was worked out by hand from the facts in docs/rules/N00*.md, not read back from the code.
 */
import { describe, expect, it } from "vitest";
import type { NodeEvidence, NodeRule } from "../../../../src/core/node.js";
import type { Severity } from "../../../../src/core/types.js";
import { nodeRules } from "../../../../src/rules/node/index.js";
import { ctx, type NodeOpts, node } from "./helpers.js";

interface Case {
  name: string;
  node: NodeOpts;
  k8s: string;
  runtimes?: string;
  asOf?: string;
  evidence?: Record<string, NodeEvidence>;
  /** undefined: the rule stays quiet. */
  severity: Severity | undefined;
  /** Substrings the message must contain. */
  says?: string[];
}

const DOCKERSHIM = { runtime: "docker://20.10.7", kubelet: "v1.23.17" };
const CRI_DOCKERD = { runtime: "docker://27.3.1", kubelet: "v1.30.2" };
const CTD17 = { runtime: "containerd://1.7.2", kubelet: "v1.30.0" };
const SHIM_SOCK = "/var/run/dockershim.sock";
const CGROUP_EVENT: NodeEvidence = { cgroupV1Events: [{ node: "node-1", lastSeen: "2026-12-01T10:00:00Z" }] };

const CASES: Record<string, Case[]> = {
  N001: [
    {
      name: "dockershim, target 1.24",
      node: DOCKERSHIM,
      k8s: "1.24",
      severity: "critical",
      says: ["dockershim", "1.24"],
    },
    { name: "dockershim, target 1.37", node: DOCKERSHIM, k8s: "1.37", severity: "critical" },
    { name: "dockershim, target 1.23", node: DOCKERSHIM, k8s: "1.23", severity: "medium" },
    {
      name: "pre-1.24 docker node whose annotation names cri-dockerd",
      node: {
        ...DOCKERSHIM,
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/cri-dockerd.sock" },
      },
      k8s: "1.24",
      severity: "high",
      says: ["cri-dockerd", "--container-runtime-endpoint"],
    },
    {
      name: "docker with kubelet 1.24 is cri-dockerd",
      node: { runtime: "docker://20.10.7", kubelet: "v1.24.0" },
      k8s: "1.25",
      severity: undefined,
    },
    {
      name: "containerd on an old kubelet",
      node: { runtime: "containerd://1.6.4", kubelet: "v1.23.0" },
      k8s: "1.24",
      severity: undefined,
    },
    {
      name: "docker with no kubelet version",
      node: { runtime: "docker://20.10.7", kubelet: "" },
      k8s: "1.24",
      severity: undefined,
    },
  ],
  N002: [
    {
      name: "cri-dockerd, default targets",
      node: CRI_DOCKERD,
      k8s: "1.31",
      severity: "low",
      says: ["cri-dockerd"],
    },
    {
      name: "cri-dockerd, staying on cri-dockerd",
      node: CRI_DOCKERD,
      k8s: "1.31",
      runtimes: "cri-dockerd",
      severity: "info",
    },
    {
      name: "cri-dockerd, target 1.38",
      node: CRI_DOCKERD,
      k8s: "1.38",
      runtimes: "cri-dockerd",
      severity: "medium",
      says: ["cri-dockerd 0.3.17+ or 0.4.0+", "RuntimeConfig"],
    },
    { name: "dockershim is N001's", node: DOCKERSHIM, k8s: "1.31", severity: undefined },
    { name: "containerd", node: CTD17, k8s: "1.31", severity: undefined },
  ],
  N003: [
    {
      name: "containerd node still says dockershim, target 1.31",
      node: { ...CTD17, annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": SHIM_SOCK } },
      k8s: "1.31",
      severity: "high",
      says: [SHIM_SOCK, "containerd 1.7.2"],
    },
    {
      name: "same, target 1.34 (kubeadm ignores it)",
      node: { ...CTD17, annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": SHIM_SOCK } },
      k8s: "1.34",
      severity: "info",
    },
    {
      name: "containerd socket on containerd",
      node: {
        ...CTD17,
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock" },
      },
      k8s: "1.31",
      severity: undefined,
    },
    {
      name: "k3s containerd socket",
      node: {
        ...CTD17,
        annotations: {
          "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/k3s/containerd/containerd.sock",
        },
      },
      k8s: "1.31",
      severity: undefined,
    },
    {
      name: "CRI-O socket on a containerd node",
      node: {
        ...CTD17,
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/crio/crio.sock" },
      },
      k8s: "1.33",
      severity: "high",
    },
    {
      name: "cri-dockerd socket on cri-dockerd",
      node: {
        ...CRI_DOCKERD,
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/cri-dockerd.sock" },
      },
      k8s: "1.31",
      severity: undefined,
    },
    {
      name: "dockershim socket on cri-dockerd",
      node: { ...CRI_DOCKERD, annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": SHIM_SOCK } },
      k8s: "1.33",
      severity: "high",
    },
    {
      name: "dockershim socket on a dockershim node, target 1.24",
      node: { ...DOCKERSHIM, annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": SHIM_SOCK } },
      k8s: "1.24",
      severity: "low",
    },
    {
      name: "dockershim socket on a dockershim node, target 1.36",
      node: { ...DOCKERSHIM, annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": SHIM_SOCK } },
      k8s: "1.36",
      severity: "info",
    },
    {
      name: "Docker API socket on CRI-O",
      node: {
        runtime: "cri-o://1.33.2",
        kubelet: "v1.33.1",
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "/var/run/docker.sock" },
      },
      k8s: "1.33",
      severity: "high",
    },
    {
      name: "Windows containerd named pipe",
      node: {
        runtime: "containerd://1.7.20",
        kubelet: "v1.31.1",
        os: "windows",
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "npipe:////./pipe/containerd-containerd" },
      },
      k8s: "1.32",
      severity: undefined,
    },
    {
      name: "a socket name we do not know",
      node: {
        ...CTD17,
        annotations: { "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/custom/runtime.sock" },
      },
      k8s: "1.31",
      severity: undefined,
    },
    { name: "no annotation", node: CTD17, k8s: "1.31", severity: undefined },
  ],
  N004: [
    {
      name: "containerd 1.7, target 1.38",
      node: CTD17,
      k8s: "1.38",
      severity: "critical",
      says: ["RuntimeConfig", "2.0.0"],
    },
    { name: "containerd 1.7, target 1.37", node: CTD17, k8s: "1.37", severity: "high" },
    { name: "containerd 1.7, target 1.36", node: CTD17, k8s: "1.36", severity: "high" },
    { name: "containerd 1.7, target 1.35", node: CTD17, k8s: "1.35", severity: "medium" },
    {
      name: "k3s containerd 1.6, target 1.38",
      node: { runtime: "containerd://1.6.6-k3s1", kubelet: "v1.24.3+k3s1" },
      k8s: "1.38",
      severity: "critical",
    },
    {
      name: "kubelet confirms through its metric",
      node: CTD17,
      k8s: "1.37",
      evidence: { "node-1": { kubeletMetrics: { criLosingSupport: ["1.38.0"] } } },
      severity: "high",
      says: ["kubelet_cri_losing_support", "1.38.0"],
    },
    {
      name: "containerd 2.0.0",
      node: { runtime: "containerd://2.0.0", kubelet: "v1.33.0" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "containerd v2.1.4",
      node: { runtime: "containerd://v2.1.4", kubelet: "v1.33.0" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "old CRI-O is not containerd",
      node: { runtime: "cri-o://1.27.1", kubelet: "v1.27.3" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "unparseable containerd version",
      node: { runtime: "containerd://unknown", kubelet: "v1.30.0" },
      k8s: "1.38",
      severity: undefined,
    },
  ],
  N005: [
    {
      name: "containerd 1.6.14 has no CRI v1 for 1.26",
      node: { runtime: "containerd://1.6.14", kubelet: "v1.25.9" },
      k8s: "1.26",
      severity: "critical",
      says: ["CRI v1"],
    },
    {
      name: "containerd 1.5 for 1.27",
      node: { runtime: "containerd://1.5.18", kubelet: "v1.25.9" },
      k8s: "1.27",
      severity: "critical",
    },
    {
      name: "containerd 1.5 for 1.25 (before the matrix)",
      node: { runtime: "containerd://1.5.18", kubelet: "v1.24.9" },
      k8s: "1.25",
      severity: undefined,
    },
    {
      name: "containerd 1.6.15 for 1.26",
      node: { runtime: "containerd://1.6.15", kubelet: "v1.25.9" },
      k8s: "1.26",
      severity: undefined,
    },
    {
      name: "containerd 1.7.20 below 1.7.24 for 1.32",
      node: { runtime: "containerd://1.7.20", kubelet: "v1.31.0" },
      k8s: "1.32",
      severity: "high",
      says: ["1.7.24"],
    },
    {
      name: "containerd 1.7.28 for 1.35",
      node: { runtime: "containerd://1.7.28", kubelet: "v1.34.0" },
      k8s: "1.35",
      severity: undefined,
    },
    {
      name: "containerd 1.6.39 not listed for 1.35",
      node: { runtime: "containerd://1.6.39", kubelet: "v1.34.0" },
      k8s: "1.35",
      severity: "medium",
    },
    {
      name: "containerd 1.7.28 not listed for 1.36",
      node: { runtime: "containerd://1.7.28", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: "medium",
    },
    {
      name: "containerd 2.1.5 not listed for 1.36",
      node: { runtime: "containerd://2.1.5", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: "medium",
    },
    {
      name: "containerd 2.2.0 for 1.36",
      node: { runtime: "containerd://2.2.0", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: undefined,
    },
    {
      name: "containerd 2.4.2, newer than the 1.36 row",
      node: { runtime: "containerd://2.4.2", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: undefined,
    },
    {
      name: "containerd 2.3.1 for 1.38 (newest row)",
      node: { runtime: "containerd://2.3.1", kubelet: "v1.37.0" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "containerd 1.7.28 for 1.37 (no row)",
      node: { runtime: "containerd://1.7.28", kubelet: "v1.36.0" },
      k8s: "1.37",
      severity: "medium",
      says: ["no row for Kubernetes 1.37", "1.36"],
    },
    {
      name: "CRI-O 1.36 for 1.37",
      node: { runtime: "cri-o://1.36.3", kubelet: "v1.36.1" },
      k8s: "1.37",
      severity: "medium",
      says: ["CRI-O 1.37"],
    },
    {
      name: "CRI-O 1.36 for 1.36",
      node: { runtime: "cri-o://1.36.3", kubelet: "v1.36.1" },
      k8s: "1.36",
      severity: undefined,
    },
    { name: "dockershim for 1.24", node: DOCKERSHIM, k8s: "1.24", severity: "critical" },
    { name: "dockershim for 1.23", node: DOCKERSHIM, k8s: "1.23", severity: undefined },
    { name: "cri-dockerd (version not visible)", node: CRI_DOCKERD, k8s: "1.38", severity: undefined },
  ],
  N006: [
    {
      name: "containerd 1.7 after its end of life",
      node: CTD17,
      k8s: "1.31",
      severity: "high",
      says: ["2026-10-01", "as of 2026-12-03"],
    },
    {
      name: "containerd 1.7, 78 days before",
      node: CTD17,
      k8s: "1.31",
      asOf: "2026-07-15",
      severity: "medium",
      says: ["in 78 days"],
    },
    {
      name: "containerd 1.7, 122 days before",
      node: CTD17,
      k8s: "1.31",
      asOf: "2026-06-01",
      severity: undefined,
    },
    {
      name: "containerd 2.2 after 2026-11-06",
      node: { runtime: "containerd://2.2.0", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: "high",
    },
    {
      name: "containerd 2.0, 119 days before",
      node: { runtime: "containerd://2.0.5", kubelet: "v1.33.0" },
      k8s: "1.34",
      severity: undefined,
    },
    {
      name: "containerd 2.0, 76 days before",
      node: { runtime: "containerd://2.0.5", kubelet: "v1.33.0" },
      k8s: "1.34",
      asOf: "2027-01-15",
      severity: "medium",
    },
    {
      name: "containerd 2.3 LTS",
      node: { runtime: "containerd://2.3.1", kubelet: "v1.36.0" },
      k8s: "1.37",
      severity: undefined,
    },
    {
      name: "containerd 2.4 on 2027-02-15",
      node: { runtime: "containerd://2.4.2", kubelet: "v1.36.0" },
      k8s: "1.37",
      asOf: "2027-02-15",
      severity: "medium",
    },
    {
      name: "containerd 2.5 (no row yet)",
      node: { runtime: "containerd://2.5.0", kubelet: "v1.38.0" },
      k8s: "1.39",
      severity: undefined,
    },
    {
      name: "k3s containerd 1.4",
      node: { runtime: "containerd://1.4.4-k3s2", kubelet: "v1.20.6+k3s1" },
      k8s: "1.21",
      severity: "high",
    },
    {
      name: "Docker Engine 20.10 behind cri-dockerd",
      node: { runtime: "docker://20.10.7", kubelet: "v1.26.0" },
      k8s: "1.27",
      severity: "high",
      says: ["no longer maintained"],
    },
    {
      name: "Docker Engine 19.03 behind dockershim",
      node: { runtime: "docker://19.3.1", kubelet: "v1.19.0" },
      k8s: "1.20",
      severity: "high",
    },
    {
      name: "Docker Engine 24.0",
      node: { runtime: "docker://24.0.7", kubelet: "v1.28.0" },
      k8s: "1.29",
      severity: "high",
    },
    {
      name: "Docker Engine 25.0, one day before",
      node: { runtime: "docker://25.0.5", kubelet: "v1.30.0" },
      k8s: "1.31",
      severity: "medium",
      says: ["2026-12-04", "in 1 day;"],
    },
    {
      name: "Docker Engine 25.0 on its end date",
      node: { runtime: "docker://25.0.5", kubelet: "v1.30.0" },
      k8s: "1.31",
      asOf: "2026-12-04",
      severity: "high",
    },
    {
      name: "Docker Engine 29",
      node: { runtime: "docker://29.1.0", kubelet: "v1.33.0" },
      k8s: "1.34",
      severity: undefined,
    },
    {
      name: "CRI-O 1.34 ended with Kubernetes 1.34",
      node: { runtime: "cri-o://1.34.2", kubelet: "v1.34.1" },
      k8s: "1.35",
      severity: "high",
      says: ["2026-10-27"],
    },
    {
      name: "CRI-O 1.35, 87 days before",
      node: { runtime: "cri-o://1.35.1", kubelet: "v1.35.0" },
      k8s: "1.36",
      severity: "medium",
      says: ["in 87 days"],
    },
    {
      name: "CRI-O 1.35, 119 days before",
      node: { runtime: "cri-o://1.35.1", kubelet: "v1.35.0" },
      k8s: "1.36",
      asOf: "2026-11-01",
      severity: undefined,
    },
    {
      name: "CRI-O 1.32 (no date, newer minors ended)",
      node: { runtime: "cri-o://1.32.0", kubelet: "v1.32.0" },
      k8s: "1.33",
      severity: "high",
      says: ["before 2026-06-28"],
    },
    {
      name: "CRI-O 1.20, older than the table",
      node: { runtime: "cri-o://1.20.0", kubelet: "v1.20.0" },
      k8s: "1.21",
      severity: "high",
    },
    {
      name: "CRI-O 1.37",
      node: { runtime: "cri-o://1.37.0", kubelet: "v1.37.0" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "CRI-O 1.38 (unreleased on the report day)",
      node: { runtime: "cri-o://1.38.0", kubelet: "v1.38.0" },
      k8s: "1.39",
      severity: undefined,
    },
    {
      name: "remote:// runtime",
      node: { runtime: "remote://", kubelet: "v1.30.0" },
      k8s: "1.31",
      severity: undefined,
    },
  ],
  N007: [
    {
      name: "same minor",
      node: { runtime: "cri-o://1.36.3", kubelet: "v1.36.1" },
      k8s: "1.37",
      severity: undefined,
    },
    {
      name: "CRI-O one minor behind",
      node: { runtime: "cri-o://1.35.2", kubelet: "v1.36.1" },
      k8s: "1.37",
      severity: "medium",
      says: ["1.35.2", "v1.36.1"],
    },
    {
      name: "CRI-O 1.27 with kubelet 1.28, target 1.38",
      node: { runtime: "cri-o://1.27.1", kubelet: "v1.28.3" },
      k8s: "1.38",
      severity: "high",
      says: ["RuntimeConfig"],
    },
    {
      name: "CRI-O 1.27 with kubelet 1.28, target 1.29",
      node: { runtime: "cri-o://1.27.1", kubelet: "v1.28.3" },
      k8s: "1.29",
      severity: "medium",
    },
    {
      name: "CRI-O 1.27 with kubelet 1.27",
      node: { runtime: "cri-o://1.27.1", kubelet: "v1.27.3" },
      k8s: "1.38",
      severity: undefined,
    },
    {
      name: "OpenShift-style CRI-O version",
      node: { runtime: "cri-o://1.29.1-5.rhaos4.16.git5e1c8d7.el9", kubelet: "v1.29.5+29c95f3" },
      k8s: "1.30",
      severity: undefined,
    },
    { name: "containerd", node: CTD17, k8s: "1.31", severity: undefined },
  ],
  N008: [
    {
      name: "CgroupV1 event, target 1.35",
      node: CTD17,
      k8s: "1.35",
      evidence: { "node-1": CGROUP_EVENT },
      severity: "critical",
      says: ["CgroupV1 warning event", "failCgroupV1: false"],
    },
    {
      name: "CgroupV1 event, target 1.34",
      node: CTD17,
      k8s: "1.34",
      evidence: { "node-1": CGROUP_EVENT },
      severity: "medium",
    },
    {
      name: "event + opt-out, target 1.37",
      node: CTD17,
      k8s: "1.37",
      evidence: { "node-1": { ...CGROUP_EVENT, kubeletConfig: { failCgroupV1: false } } },
      severity: "medium",
    },
    {
      name: "event + opt-out, target 1.38",
      node: CTD17,
      k8s: "1.38",
      evidence: { "node-1": { ...CGROUP_EVENT, kubeletConfig: { failCgroupV1: false } } },
      severity: "high",
    },
    {
      name: "metric says v1, target 1.36",
      node: CTD17,
      k8s: "1.36",
      evidence: { "node-1": { kubeletMetrics: { cgroupVersion: 1 } } },
      severity: "critical",
      says: ["kubelet_cgroup_version"],
    },
    {
      name: "metric says v2 despite an old event",
      node: CTD17,
      k8s: "1.36",
      evidence: { "node-1": { ...CGROUP_EVENT, kubeletMetrics: { cgroupVersion: 2 } } },
      severity: undefined,
    },
    {
      name: "configz alone is not evidence",
      node: CTD17,
      k8s: "1.36",
      evidence: { "node-1": { kubeletConfig: { failCgroupV1: false, cgroupDriver: "cgroupfs" } } },
      severity: undefined,
    },
    {
      name: "an old OS image is not evidence",
      node: { ...CTD17, labels: { "node.kubernetes.io/instance-type": "m5.large" } },
      k8s: "1.36",
      severity: undefined,
    },
    {
      name: "another node's event",
      node: CTD17,
      k8s: "1.36",
      evidence: { "node-2": CGROUP_EVENT },
      severity: undefined,
    },
  ],
  N009: [
    {
      name: "Windows node, default targets (containerd and CRI-O)",
      node: { runtime: "containerd://1.7.20", kubelet: "v1.31.1", os: "windows" },
      k8s: "1.32",
      severity: "medium",
      says: ["cri-o@1.37"],
    },
    {
      name: "Windows node, CRI-O only",
      node: { runtime: "containerd://1.7.20", kubelet: "v1.31.1", os: "windows" },
      k8s: "1.32",
      runtimes: "cri-o@1.32",
      severity: "critical",
    },
    {
      name: "Windows node, CRI-O beyond the capability table",
      node: { runtime: "containerd://2.3.0", kubelet: "v1.38.0", os: "windows" },
      k8s: "1.40",
      runtimes: "cri-o@1.40",
      severity: "critical",
    },
    {
      name: "Windows node, containerd only",
      node: { runtime: "containerd://1.7.20", kubelet: "v1.31.1", os: "windows" },
      k8s: "1.32",
      runtimes: "containerd@2.3",
      severity: undefined,
    },
    {
      name: "Windows Docker node to cri-dockerd",
      node: { runtime: "docker://20.10.9", kubelet: "v1.26.1", os: "windows" },
      k8s: "1.27",
      runtimes: "cri-dockerd",
      severity: undefined,
    },
    { name: "Linux node, CRI-O only", node: CTD17, k8s: "1.31", runtimes: "cri-o@1.31", severity: undefined },
  ],
};

const byId = new Map<string, NodeRule>(nodeRules.map((r) => [r.id, r]));

describe("node rules, table-driven", () => {
  it("has cases for every rule", () => {
    expect(Object.keys(CASES).sort()).toEqual(nodeRules.map((r) => r.id));
  });

  for (const [id, cases] of Object.entries(CASES)) {
    const rule = byId.get(id) as NodeRule;
    describe(`${id} ${rule.slug}`, () => {
      it("has cases that fire and cases that stay quiet", () => {
        expect(cases.some((c) => c.severity)).toBe(true);
        expect(cases.some((c) => !c.severity)).toBe(true);
      });
      for (const c of cases) {
        it(`${c.severity ?? "quiet"}: ${c.name} (target ${c.k8s}${c.asOf ? `, as of ${c.asOf}` : ""})`, () => {
          const hits = rule.check(node(c.node), ctx(c));
          if (!c.severity) {
            expect(hits).toEqual([]);
            return;
          }
          expect(hits).toHaveLength(1);
          const hit = hits[0];
          expect(hit?.severity).toBe(c.severity);
          for (const s of c.says ?? []) expect(hit?.message).toContain(s);
          expect(hit?.evidence?.containerRuntimeVersion).toBe(c.node.runtime);
          expect(hit?.path).toBeUndefined();
        });
      }
    });
  }
});

describe("node rules on hostile input", () => {
  const weird: NodeOpts[] = [
    { runtime: "", kubelet: "" },
    { runtime: "docker://", kubelet: "v1.30.0" },
    { runtime: "containerd://", kubelet: "vX" },
    { runtime: "://1.2", kubelet: "1.30" },
    { runtime: "cri-o://1.x", kubelet: "v1.30.0", os: "WINDOWS" },
    { runtime: "containerd://99999999999999999999.1", kubelet: "v1.30.0" },
  ];
  for (const w of weird) {
    it(`no rule throws on ${JSON.stringify(w)}`, () => {
      for (const rule of nodeRules) {
        for (const k8s of ["1.23", "1.31", "1.38"]) {
          expect(() =>
            rule.check(
              node(w),
              ctx({ k8s, evidence: { "node-1": { cgroupV1Events: [], kubeletMetrics: {} } } }),
            ),
          ).not.toThrow();
        }
      }
    });
  }

  it("an invalid report day gives no finding from dates and does not throw", () => {
    const c = ctx({ k8s: "1.31" });
    c.asOf = new Date(Number.NaN);
    for (const rule of nodeRules) expect(() => rule.check(node(CTD17), c)).not.toThrow();
  });
});
