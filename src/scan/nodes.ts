/**
 * The node part of the live audit: Node objects become NodeFacts, the evidence the scan gathered
 * (CgroupV1 Warning events, and with `--kubelet-config` each kubelet's `/configz`) is attached per
 * node, and the N-rules run through the one engine (`runRules`, `makeFinding`, the policy's
 * `decide`), so `--ignore`, the ignore annotation on the Node and the config file's severities and
 * exemptions apply to nodes as to any other subject. A node rule that throws is a coverage error
 * (exit 2), as for workloads. See docs/rules/N001.md … N009.md.
 */
import {
  cgroupV1EventsByNode,
  type KubeletConfigz,
  type NodeEntry,
  type NodeEvidence,
  type NodeFacts,
  type NodeRule,
  type NodeRuleContext,
  nodeEntry,
  parseKubeletConfigz,
  toNodeFacts,
} from "../core/node.js";
import { decide, EMPTY_POLICY, IGNORE_ANNOTATION, type Policy, parseIgnoreList } from "../core/policy.js";
import type { Coverage, CoverageIssue } from "../core/report.js";
import { type Decider, type RunSink, runRules } from "../core/rule.js";
import type { Target } from "../core/target.js";
import type { Finding, Hit, Subject } from "../core/types.js";
import type { JsonObject } from "../core/workload.js";
import { type ClusterClient, describePermission, isKubeError } from "../kube/index.js";
import { nodeRules } from "../rules/node/index.js";

/** Kubelet `/configz` reads in flight at once (each goes through the API server's node proxy). */
export const CONFIGZ_CONCURRENCY = 8;

/**
 * Reads one kubelet's configz body (`GET /api/v1/nodes/<node>/proxy/configz`). Throws when it cannot:
 * the message becomes the node's coverage entry.
 */
export type ConfigzReader = (node: string) => Promise<string>;

export interface NodeAuditOptions {
  target: Target;
  /** The report day (`--as-of`, else today): the rules never read the clock. */
  asOf: Date;
  ignore: ReadonlySet<string>;
  policy?: Policy;
  rules?: readonly NodeRule[];
  /** With `--kubelet-config`: how to read a kubelet's configz. */
  readConfigz?: ConfigzReader;
  concurrency?: number;
}

export interface NodeAudit {
  findings: Finding[];
  /** `nodes[]` of the report, in the order the API listed them. */
  nodes: NodeEntry[];
  facts: NodeFacts[];
  /** Rules that threw (errors: the report is incomplete). */
  errors: CoverageIssue[];
  /** Kubelets whose configz could not be read (the audit goes on without that evidence). */
  skipped: CoverageIssue[];
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of the results. */
async function mapLimit<T, U>(items: readonly T[], limit: number, fn: (t: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** The `source` of a coverage entry about one node (an unread configz, a rule that threw on it). */
export function nodeIssueSource(name: string): string {
  return `Node ${name}`;
}

/** Audits the cluster's nodes. Never throws for bad node data: an unreadable Node is skipped and counted. */
export async function auditNodes(
  rawNodes: readonly JsonObject[],
  events: readonly JsonObject[],
  opts: NodeAuditOptions,
): Promise<NodeAudit> {
  const facts: NodeFacts[] = [];
  const uids = new Map<string, string | undefined>();
  for (const n of rawNodes) {
    const f = toNodeFacts(n);
    if (!f) continue;
    facts.push(f);
    uids.set(f.name, f.uid);
  }
  const evidence = new Map<string, NodeEvidence>();
  for (const [node, list] of cgroupV1EventsByNode(events)) evidence.set(node, { cgroupV1Events: list });
  const skipped: CoverageIssue[] = [];
  const read = opts.readConfigz;
  if (read) {
    const configs = await mapLimit(
      facts,
      opts.concurrency ?? CONFIGZ_CONCURRENCY,
      async (f): Promise<KubeletConfigz | undefined> => {
        try {
          return parseKubeletConfigz(await read(f.name), f.name);
        } catch (e) {
          skipped.push({
            source: nodeIssueSource(f.name),
            reason: `kubelet configz not read: ${e instanceof Error ? e.message : String(e)}`,
          });
          return undefined;
        }
      },
    );
    facts.forEach((f, i) => {
      const c = configs[i];
      if (c) evidence.set(f.name, { ...evidence.get(f.name), kubeletConfig: c });
    });
  }

  const ctx: NodeRuleContext = { target: opts.target, asOf: opts.asOf, evidence };
  const rules = opts.rules ?? nodeRules;
  const policy = opts.policy ?? EMPTY_POLICY;
  const sink: RunSink<Hit> = { findings: [], failures: [] };
  for (const f of facts) {
    const subject: Subject = { kind: "Node", name: f.name };
    const annotation = parseIgnoreList(f.annotations[IGNORE_ANNOTATION]);
    const decider: Decider = (rule) => decide(rule, subject, [annotation], opts.ignore, policy);
    const origin = f.uid ? { uid: f.uid } : {};
    runRules(rules, (rule) => rule.check(f, ctx), { subject, origin }, decider, sink);
  }
  const errors = sink.failures.map((x) => ({
    source: nodeIssueSource(x.subject.name),
    reason: `rule ${x.ruleId} failed: ${x.message}`,
  }));
  return { findings: sink.findings, nodes: facts.map(nodeEntry), facts, errors, skipped };
}

/** A kubelet's configz through the API server; a refusal names the permission it needs. */
async function readConfigz(client: Pick<ClusterClient, "nodeProxyGet">, node: string): Promise<string> {
  try {
    return await client.nodeProxyGet(node, "configz");
  } catch (e) {
    if (isKubeError(e) && e.permission)
      throw new Error(`missing permission: ${describePermission(e.permission)}`);
    throw e;
  }
}

/** What `scanCluster` passes on to the node audit. */
export interface ClusterNodeOptions {
  /** `--as-of`; default: today (UTC), decided here once so the rules never read the clock. */
  asOf?: Date;
  policy?: Policy;
  ignore: ReadonlySet<string>;
  /** `--kubelet-config`: read each kubelet's configz through the API server's node proxy. */
  kubeletConfig?: boolean;
  onIssue?: (issue: CoverageIssue) => void;
}

/** Today at midnight UTC: the default report day. */
export function today(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * The node audit of a live scan: its findings go to `findings`, a rule failure to the coverage errors,
 * an unreadable kubelet to the skipped entries (the report stays complete without that evidence).
 */
export async function scanNodes(
  client: Pick<ClusterClient, "nodeProxyGet">,
  inv: { nodes: readonly JsonObject[]; cgroupV1Events: readonly JsonObject[] },
  target: Target,
  opts: ClusterNodeOptions,
  out: { findings: Finding[]; coverage: Coverage },
): Promise<NodeEntry[]> {
  const a = await auditNodes(inv.nodes, inv.cgroupV1Events, {
    target,
    asOf: opts.asOf ?? today(),
    ignore: opts.ignore,
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.kubeletConfig ? { readConfigz: (n: string) => readConfigz(client, n) } : {}),
  });
  out.findings.push(...a.findings);
  for (const i of a.errors) {
    out.coverage.errors.push(i);
    opts.onIssue?.(i);
  }
  for (const i of a.skipped) {
    out.coverage.skipped.push(i);
    opts.onIssue?.(i);
  }
  return a.nodes;
}
