/**
 * The one place the workload engine runs over a cluster object and reports on its top owner: used
 * by the cluster scan (src/scan/cluster.ts) and by the controller's audit over its cache
 * (src/controller/cluster.ts), so both publish the same findings for the same object.
 */
import type { EnvSources } from "../core/env.js";
import type { Policy } from "../core/policy.js";
import { auditObject, type ObjectAudit, type RuleContext, type WorkloadRule } from "../core/rule.js";
import type { Finding } from "../core/types.js";
import { type JsonObject, type K8sObject, toK8sObject } from "../core/workload.js";
import { parseEmbedded } from "../manifests/parse.js";
import { workloadRules } from "../rules/workload/index.js";

/** Who a finding is reported on: the top owner (a Deployment for its pods' template). */
export interface AuditSubject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface SubjectAuditOptions {
  ctx: RuleContext;
  ignore: ReadonlySet<string>;
  rules?: readonly WorkloadRule[];
  /** The object audited when it is not the subject itself (a pod of a deleted owner is its own). */
  audited?: { kind: string; name: string };
  uid?: string;
  /** Severities, `off` rules and exemptions from the config file. */
  policy?: Policy;
  /** ConfigMaps and Secrets for env and mounted configs (both `envFrom`/`valueFrom` and the rules' reads). */
  sources?: EnvSources;
}

/**
 * Audits `raw` (a pod template carrier: Deployment, CronJob, bare Pod…) and rewrites each finding's
 * subject to `subject`, without a file path (a cluster object has none). Findings keep their
 * container. The engine's result is returned too, for callers that collect images.
 */
export function auditForSubject(
  raw: JsonObject,
  subject: AuditSubject,
  opts: SubjectAuditOptions,
): { findings: Finding[]; result: ObjectAudit; object: K8sObject } {
  const obj = toK8sObject(raw, opts.uid ? { uid: opts.uid } : {});
  const ctx = opts.sources ? { ...opts.ctx, sources: opts.sources } : opts.ctx;
  const result = auditObject(obj, opts.rules ?? workloadRules, ctx, {
    ignore: opts.ignore,
    parseEmbedded,
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.sources ? { envSources: opts.sources } : {}),
  });
  const findings: Finding[] = [];
  for (const f of result.findings) {
    f.subject = { ...f.subject, kind: subject.kind, name: subject.name };
    if (subject.namespace) f.subject.namespace = subject.namespace;
    else delete f.subject.namespace;
    if (opts.audited)
      f.evidence = { ...f.evidence, auditedObject: `${opts.audited.kind}/${opts.audited.name}` };
    delete f.path;
    findings.push(f);
  }
  return { findings, result, object: obj };
}
