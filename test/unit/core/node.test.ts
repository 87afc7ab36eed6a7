/** Node facts from Node objects, the evidence parsers, and the pure helpers the reporters use. */
import { describe, expect, it } from "vitest";
import {
  cgroupV1EventsByNode,
  defaultTargetMinor,
  groupNodes,
  NodeDataError,
  type NodeFacts,
  nodeEntry,
  parseAsOf,
  parseContainerRuntimeVersion,
  parseKubeletConfigz,
  parseKubeletMetrics,
  toNodeFacts,
} from "../../../src/core/node.js";
import { TargetError } from "../../../src/core/target.js";
import { toK8sObject } from "../../../src/core/workload.js";
import { rawNode } from "../rules/node/helpers.js";

describe("parseContainerRuntimeVersion", () => {
  it.each([
    ["docker://20.10.7", "docker", "20.10.7", { major: 20, minor: 10, patch: 7 }],
    ["docker://19.3.1", "docker", "19.3.1", { major: 19, minor: 3, patch: 1 }],
    ["containerd://1.7.2", "containerd", "1.7.2", { major: 1, minor: 7, patch: 2 }],
    ["containerd://1.6.6-k3s1", "containerd", "1.6.6-k3s1", { major: 1, minor: 6, patch: 6 }],
    ["containerd://v2.0.0", "containerd", "v2.0.0", { major: 2, minor: 0, patch: 0 }],
    [
      "containerd://1.7.27-1.amzn2023.0.1",
      "containerd",
      "1.7.27-1.amzn2023.0.1",
      { major: 1, minor: 7, patch: 27 },
    ],
    ["containerd://2.1.4+unknown", "containerd", "2.1.4+unknown", { major: 2, minor: 1, patch: 4 }],
    ["cri-o://1.28.1", "cri-o", "1.28.1", { major: 1, minor: 28, patch: 1 }],
    ["crio://1.29.0", "cri-o", "1.29.0", { major: 1, minor: 29, patch: 0 }],
    ["CRI-O://1.30.2", "cri-o", "1.30.2", { major: 1, minor: 30, patch: 2 }],
    [
      "cri-o://1.29.1-5.rhaos4.16.git5e1c8d7.el9",
      "cri-o",
      "1.29.1-5.rhaos4.16.git5e1c8d7.el9",
      { major: 1, minor: 29, patch: 1 },
    ],
  ])("%s -> %s %s", (text, name, versionText, version) => {
    expect(parseContainerRuntimeVersion(text)).toEqual({ name, versionText, version, raw: text });
  });

  it.each([
    ["remote://", "remote", ""],
    ["docker://Unknown", "docker", "Unknown"],
    ["containerd://", "containerd", ""],
    ["gvisor://release-20240101", "gvisor", "release-20240101"],
  ])("%s has no version", (text, name, versionText) => {
    expect(parseContainerRuntimeVersion(text)).toEqual({ name, versionText, raw: text });
  });

  it.each(["", "1.7.2", "containerd 1.7.2", "://1.2", "   "])("%j is unknown", (text) => {
    expect(parseContainerRuntimeVersion(text)).toEqual({ name: "unknown", versionText: "", raw: text });
  });
});

describe("toNodeFacts", () => {
  const base = { runtime: "containerd://1.7.2", kubelet: "v1.30.4-eks-a737599" };

  it("reads a raw list item and a K8sObject the same way", () => {
    const raw = rawNode({ ...base, arch: "arm64", annotations: { a: "b" } });
    const fromRaw = toNodeFacts(raw);
    const fromObj = toNodeFacts(toK8sObject({ apiVersion: "v1", kind: "Node", ...raw } as never, {}));
    expect(fromRaw).toEqual(fromObj);
    expect(fromRaw).toMatchObject({
      name: "node-1",
      uid: "6f1c6c1e-0000-4000-8000-000000000001",
      kubeletVersionText: "v1.30.4-eks-a737599",
      kubeletVersion: { major: 1, minor: 30, patch: 4 },
      runtime: { name: "containerd", versionText: "1.7.2" },
      runtimeClass: "containerd",
      os: "linux",
      arch: "arm64",
      kernelVersion: "6.1.0-28-amd64",
      osImage: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(fromRaw?.annotations.a).toBe("b");
    expect(fromRaw?.labels["kubernetes.io/arch"]).toBe("arm64");
  });

  it.each([
    ["docker://20.10.7", "v1.23.17", "dockershim"],
    ["docker://20.10.7", "v1.24.0", "cri-dockerd"],
    ["docker://27.3.1", "v1.31.0+k3s1", "cri-dockerd"],
    ["docker://20.10.7", "", "unknown"],
    ["docker://20.10.7", "garbage", "unknown"],
    ["containerd://1.6.6-k3s1", "v1.24.3+k3s1", "containerd"],
    ["cri-o://1.28.1", "v1.28.3", "cri-o"],
    ["remote://", "v1.30.0", "unknown"],
    ["", "v1.30.0", "unknown"],
  ])("%s with kubelet %j is %s", (runtime, kubelet, cls) => {
    expect(toNodeFacts(rawNode({ runtime, kubelet }))?.runtimeClass).toBe(cls);
  });

  it("falls back to the os/arch labels, then the beta labels, and lower-cases them", () => {
    const raw = rawNode(base) as {
      status: { nodeInfo: Record<string, unknown> };
      metadata: { labels: Record<string, string> };
    };
    delete raw.status.nodeInfo.operatingSystem;
    raw.status.nodeInfo.architecture = 7;
    raw.metadata.labels = { "kubernetes.io/os": "Windows", "beta.kubernetes.io/arch": "ARM64" };
    expect(toNodeFacts(raw)).toMatchObject({ os: "windows", arch: "arm64" });
  });

  it("leaves os/arch absent when nothing says, and nodeEntry reports unknown", () => {
    const facts = toNodeFacts({ metadata: { name: "bare" } });
    expect(facts).toMatchObject({ name: "bare", runtimeClass: "unknown", kubeletVersionText: "" });
    expect(facts?.os).toBeUndefined();
    expect(nodeEntry(facts as NodeFacts)).toEqual({
      name: "bare",
      runtimeClass: "unknown",
      runtime: { name: "unknown", version: "" },
      kubeletVersion: "",
      os: "unknown",
      arch: "unknown",
    });
  });

  it.each([
    ["not an object", "node"],
    ["a Pod", { kind: "Pod", metadata: { name: "p" } }],
    ["no name", { kind: "Node", metadata: {} }],
    ["metadata of the wrong type", { metadata: "x" }],
  ])("returns undefined for %s", (_what, input) => {
    expect(toNodeFacts(input)).toBeUndefined();
  });

  it("tolerates fields of the wrong type", () => {
    const facts = toNodeFacts({
      metadata: { name: "n", labels: ["x"], annotations: { ok: "1", bad: { x: 1 } } },
      status: { nodeInfo: { containerRuntimeVersion: 5, kubeletVersion: null } },
    });
    expect(facts).toMatchObject({ name: "n", runtimeClass: "unknown", annotations: { ok: "1" } });
    expect(facts?.annotations.bad).toBeUndefined();
  });

  it("gives the JSON nodes[] entry", () => {
    expect(
      nodeEntry(
        toNodeFacts(rawNode({ runtime: "docker://24.0.7", kubelet: "v1.28.2", os: "windows" })) as NodeFacts,
      ),
    ).toEqual({
      name: "node-1",
      runtimeClass: "cri-dockerd",
      runtime: { name: "docker", version: "24.0.7" },
      kubeletVersion: "v1.28.2",
      os: "windows",
      arch: "amd64",
    });
  });
});

describe("parseKubeletConfigz", () => {
  const body = JSON.stringify({
    kubeletconfig: {
      enableServer: true,
      containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
      cgroupDriver: "systemd",
      failCgroupV1: false,
      authentication: { x509: {} },
    },
  });

  it("reads the three fields from the body the API server proxies", () => {
    expect(parseKubeletConfigz(body)).toEqual({
      containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
      cgroupDriver: "systemd",
      failCgroupV1: false,
    });
  });

  it("accepts an already-parsed object and the older componentconfig wrapper", () => {
    expect(parseKubeletConfigz({ componentconfig: { cgroupDriver: "cgroupfs" } })).toEqual({
      cgroupDriver: "cgroupfs",
    });
  });

  it("leaves out fields of the wrong type instead of trusting them", () => {
    expect(parseKubeletConfigz({ kubeletconfig: { failCgroupV1: "false", cgroupDriver: 1 } })).toEqual({});
  });

  it.each([
    ["not JSON", "<html>", /configz of node-7 is not JSON/],
    ["an array", "[]", /configz of node-7: expected a JSON object/],
    ["no kubeletconfig", '{"other":{}}', /configz of node-7: no "kubeletconfig" object/],
  ])("throws NodeDataError naming the node for %s", (_what, input, msg) => {
    expect(() => parseKubeletConfigz(input, "node-7")).toThrow(NodeDataError);
    expect(() => parseKubeletConfigz(input, "node-7")).toThrow(msg);
  });
});

describe("cgroupV1EventsByNode", () => {
  const coreEvent = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "node-a.17f", namespace: "default" },
    involvedObject: { kind: "Node", name: "node-a", uid: "node-a" },
    reason: "CgroupV1",
    message: "cgroup v1 support is in maintenance mode, please migrate to cgroup v2",
    source: { component: "kubelet", host: "node-a" },
    firstTimestamp: "2026-11-01T08:00:00Z",
    lastTimestamp: "2026-12-01T08:00:00Z",
    count: 3,
    type: "Warning",
  };
  const newEvent = {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: "node-b.18a", namespace: "default" },
    regarding: { kind: "Node", name: "node-b" },
    reason: "CgroupV1",
    note: "cgroup v1 detected",
    type: "Warning",
    eventTime: "2026-11-30T08:00:00.000000Z",
    series: { count: 4, lastObservedTime: "2026-12-02T08:00:00.000000Z" },
  };

  it("groups core/v1 and events.k8s.io/v1 events by node, with the newest timestamp", () => {
    const byNode = cgroupV1EventsByNode([coreEvent, newEvent]);
    expect(byNode.get("node-a")).toEqual([
      { node: "node-a", message: coreEvent.message, lastSeen: "2026-12-01T08:00:00Z", count: 3 },
    ]);
    expect(byNode.get("node-b")).toEqual([
      { node: "node-b", message: "cgroup v1 detected", lastSeen: "2026-12-02T08:00:00.000000Z", count: 4 },
    ]);
  });

  it("matches the reason, not the message, and ignores other kinds, types and junk", () => {
    const byNode = cgroupV1EventsByNode([
      { ...coreEvent, message: "something else entirely" },
      { ...coreEvent, type: "Normal" },
      { ...coreEvent, reason: "NodeReady", message: "cgroup v1" },
      { ...coreEvent, involvedObject: { kind: "Pod", name: "node-a" } },
      { ...coreEvent, involvedObject: { kind: "Node" } },
      null,
      "x",
      { reason: "CgroupV1", type: "Warning" },
    ]);
    expect([...byNode.keys()]).toEqual(["node-a"]);
    expect(byNode.get("node-a")).toHaveLength(1);
  });
});

describe("parseKubeletMetrics", () => {
  it("reads the cgroup version and the losing-support versions from Prometheus text", () => {
    const text = [
      "# HELP kubelet_cgroup_version [ALPHA] cgroup version on the hosts.",
      "# TYPE kubelet_cgroup_version gauge",
      "kubelet_cgroup_version 1",
      "# HELP kubelet_cri_losing_support [ALPHA] the Kubernetes version that the currently running CRI implementation will lose support on.",
      "# TYPE kubelet_cri_losing_support gauge",
      'kubelet_cri_losing_support{version="1.38.0"} 1',
      'kubelet_cri_losing_support{version="1.38.0"} 1',
      'kubelet_cri_losing_support{version="1.40.0"} 0',
      "kubelet_running_pods 12",
    ].join("\n");
    expect(parseKubeletMetrics(text)).toEqual({ cgroupVersion: 1, criLosingSupport: ["1.38.0"] });
  });

  it("returns nothing for text without those metrics", () => {
    expect(parseKubeletMetrics("kubelet_cgroup_version NaN\ngarbage {\n")).toEqual({});
  });
});

describe("defaultTargetMinor", () => {
  const n = (kubelet: string) =>
    toNodeFacts(rawNode({ runtime: "containerd://2.1.0", kubelet })) as NodeFacts;

  it("is the minor after the newest kubelet", () => {
    expect(defaultTargetMinor([n("v1.33.2"), n("v1.35.0-eks-1"), n("v1.34.9")])).toEqual({
      major: 1,
      minor: 36,
    });
    expect(defaultTargetMinor([n("v1.37.1+k3s1")])).toEqual({ major: 1, minor: 38 });
  });

  it("ignores nodes without a kubelet version and is undefined when none has one", () => {
    expect(defaultTargetMinor([n(""), n("v1.30.1")])).toEqual({ major: 1, minor: 31 });
    expect(defaultTargetMinor([n(""), n("x")])).toBeUndefined();
    expect(defaultTargetMinor([])).toBeUndefined();
  });
});

describe("groupNodes", () => {
  function fleet(): NodeFacts[] {
    const out: NodeFacts[] = [];
    const add = (count: number, runtime: string, kubelet: string, prefix: string) => {
      for (let i = 0; i < count; i++) {
        out.push(
          toNodeFacts(
            rawNode({ name: `${prefix}-${String(i).padStart(4, "0")}`, runtime, kubelet }),
          ) as NodeFacts,
        );
      }
    };
    add(600, "containerd://1.7.27", "v1.31.4", "ctd17");
    add(250, "containerd://2.1.4", "v1.32.1", "ctd21");
    add(100, "containerd://1.7.27", "v1.32.1", "ctd17b");
    add(40, "docker://20.10.7", "v1.23.17", "shim");
    add(9, "cri-o://1.32.2", "v1.32.1", "crio");
    add(1, "remote://", "v1.30.0", "odd");
    // Shuffle deterministically so grouping does not depend on input order.
    return out
      .map((n, i) => ({ n, k: (i * 7919) % out.length }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.n);
  }

  it("gives one row per class x runtime version x kubelet version for 1,000 nodes", () => {
    const rows = groupNodes(fleet());
    expect(rows.map((r) => [r.runtimeClass, r.runtime.version, r.kubeletVersion, r.count])).toEqual([
      ["dockershim", "20.10.7", "v1.23.17", 40],
      ["containerd", "1.7.27", "v1.31.4", 600],
      ["containerd", "1.7.27", "v1.32.1", 100],
      ["containerd", "2.1.4", "v1.32.1", 250],
      ["cri-o", "1.32.2", "v1.32.1", 9],
      ["unknown", "", "v1.30.0", 1],
    ]);
    expect(rows.reduce((s, r) => s + r.count, 0)).toBe(1000);
  });

  it("keeps only the first few node names of each group, in name order", () => {
    const rows = groupNodes(fleet(), 2);
    expect(rows[0]?.examples).toEqual(["shim-0000", "shim-0001"]);
    expect(rows[1]?.examples).toEqual(["ctd17-0000", "ctd17-0001"]);
    expect(groupNodes(fleet(), 0)[0]?.examples).toEqual([]);
  });

  it("is empty for no nodes", () => {
    expect(groupNodes([])).toEqual([]);
  });
});

describe("parseAsOf", () => {
  it("reads a calendar day as midnight UTC", () => {
    expect(parseAsOf("2026-12-03").toISOString()).toBe("2026-12-03T00:00:00.000Z");
    expect(parseAsOf(" 2028-02-29 ").toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });
  it.each(["2026-02-30", "2026-13-01", "03.12.2026", "2026-12-3", "", "2026-12-03T10:00:00Z"])(
    "refuses %j with a message naming the flag",
    (text) => {
      expect(() => parseAsOf(text)).toThrow(TargetError);
      expect(() => parseAsOf(text)).toThrow(/--as-of/);
    },
  );
});
