/** Builders for node rule tests: Node objects as the API server sends them, and rule contexts. */
import {
  type NodeEvidence,
  type NodeFacts,
  type NodeRule,
  type NodeRuleContext,
  toNodeFacts,
} from "../../../../src/core/node.js";
import { makeTarget } from "../../../../src/core/target.js";
import type { Hit } from "../../../../src/core/types.js";

export interface NodeOpts {
  name?: string;
  /** `status.nodeInfo.containerRuntimeVersion` */
  runtime: string;
  /** `status.nodeInfo.kubeletVersion` */
  kubelet: string;
  os?: string;
  arch?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A Node list item as `GET /api/v1/nodes` returns it (no kind on items). */
export function rawNode(o: NodeOpts): Record<string, unknown> {
  return {
    metadata: {
      name: o.name ?? "node-1",
      uid: "6f1c6c1e-0000-4000-8000-000000000001",
      labels: { "kubernetes.io/os": o.os ?? "linux", "kubernetes.io/arch": o.arch ?? "amd64", ...o.labels },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", ...o.annotations },
    },
    status: {
      nodeInfo: {
        machineID: "ec2a3b",
        kernelVersion: o.os === "windows" ? "10.0.20348.2227" : "6.1.0-28-amd64",
        osImage: o.os === "windows" ? "Windows Server 2022 Datacenter" : "Debian GNU/Linux 12 (bookworm)",
        containerRuntimeVersion: o.runtime,
        kubeletVersion: o.kubelet,
        kubeProxyVersion: "",
        operatingSystem: o.os ?? "linux",
        architecture: o.arch ?? "amd64",
      },
    },
  };
}

export function node(o: NodeOpts): NodeFacts {
  const facts = toNodeFacts(rawNode(o));
  if (!facts) throw new Error("test node did not parse");
  return facts;
}

export interface CtxOpts {
  k8s: string;
  runtimes?: string;
  /** YYYY-MM-DD; default 2026-12-03, the day the facts were checked. */
  asOf?: string;
  evidence?: Record<string, NodeEvidence>;
}

export function ctx(o: CtxOpts): NodeRuleContext {
  const c: NodeRuleContext = {
    target: makeTarget({ k8s: o.k8s, runtimes: o.runtimes }),
    asOf: new Date(`${o.asOf ?? "2026-12-03"}T12:00:00Z`),
  };
  if (o.evidence) c.evidence = new Map(Object.entries(o.evidence));
  return c;
}

export function run(rule: NodeRule, n: NodeFacts, c: NodeRuleContext): readonly Hit[] {
  return rule.check(n, c);
}
