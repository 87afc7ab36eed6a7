/**
 * The one place the workload engine runs over a cluster object and reports on its top owner: used
 * by the cluster scan (src/scan/cluster.ts) and by the controller's audit over its cache
 * (src/controller/cluster.ts), so both publish the same findings for the same object.
 */
import { auditObject, type ObjectAudit, type RuleContext, type WorkloadRule } from "../core/rule.js";
import type { Finding } from "../core/types.js";
import { type JsonObject, toK8sObject } from "../core/workload.js";
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
): { findings: Finding[]; result: ObjectAudit } {
  const obj = toK8sObject(raw, opts.uid ? { uid: opts.uid } : {});
  const result = auditObject(obj, opts.rules ?? workloadRules, opts.ctx, { ignore: opts.ignore });
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
  return { findings, result };
}
