/**
 * Kubernetes Events on offending workloads and nodes (issue #7 item 3), as `events.k8s.io/v1` objects
 * (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/), deduplicated:
 * one Event per finding, with a name derived from the finding, so a rescan, a restart or a new leader
 * refreshes the same Event instead of adding another. Pure: the caller gives the time and the Events
 * it read back; `planEvents` says which to create and which to refresh.
 *
 * `kubectl get events -A --field-selector reportingComponent=kube-runtime-audit` lists them (the core/v1
 * view of `reportingController`).
 */
import { createHash } from "node:crypto";
import type { AuditReport } from "../core/report.js";
import { type Finding, type Severity, severityRank } from "../core/types.js";
import { KIND_API_VERSION, REPORT_NAME } from "./policyreport.js";

export const REPORTING_CONTROLLER = "kube-runtime-audit";
export const EVENT_REASON = "RuntimeMigrationRisk";
export const EVENT_ACTION = "Audit";
/** The API server caps an Event's note at 1 kB. */
const NOTE_MAX = 1024;

export interface AuditEvent {
  apiVersion: "events.k8s.io/v1";
  kind: "Event";
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string };
  /** MicroTime of the first occurrence (RFC 3339 with microseconds). */
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: "Warning" | "Normal";
  regarding: { apiVersion?: string; kind: string; namespace?: string; name: string; uid?: string };
  note: string;
}

export interface EventOptions {
  /** Findings at or above it get an Event; below it, only the PolicyReport carries them. */
  failOn: Severity | "none";
  /** The controller's pod name (reportingInstance). */
  instance: string;
  /** Now, as an ISO time: when a new Event is first seen. */
  now: string;
}

/** RFC 3339 with exactly six fractional digits, as metav1.MicroTime serialises. */
export function microTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "1970-01-01T00:00:00.000000Z";
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** The finding's identity: the same finding on the same object always has the same Event name. */
function eventName(f: Finding): string {
  const key = [
    f.ruleId,
    f.subject.kind,
    f.subject.namespace ?? "",
    f.subject.name,
    f.subject.container ?? "",
    f.subject.image ?? "",
    f.runtime ?? "",
  ].join("\u0000");
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
  // <object>.<hash>, as the kubelet names its Events; cut so the whole stays a 253-character name.
  const base = f.subject.name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .slice(0, 200)
    .replace(/[.-]+$/, "");
  return `${base || "object"}.kra-${hash}`;
}

function truncate(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s.slice(0, max);
  while (Buffer.byteLength(`${out}…`) > max) out = out.slice(0, -1);
  return `${out}…`;
}

/**
 * The Events the report calls for: unsuppressed workload and node findings at or above failOn. Image
 * findings are left to the reports (an image has no object to attach an Event to). Node Events go to
 * the `default` namespace, as the kubelet's do.
 */
export function desiredEvents(report: AuditReport, opts: EventOptions): AuditEvent[] {
  if (opts.failOn === "none") return [];
  const threshold = severityRank(opts.failOn);
  const byName = new Map<string, AuditEvent>();
  for (const f of report.findings) {
    if (f.suppressed || f.subject.kind === "Image" || severityRank(f.severity) < threshold) continue;
    const ns = f.subject.namespace ?? (f.subject.kind === "Node" ? "default" : undefined);
    if (ns === undefined) continue;
    const name = eventName(f);
    if (byName.has(name)) continue;
    const apiVersion = KIND_API_VERSION[f.subject.kind];
    byName.set(name, {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name, namespace: ns, labels: { "app.kubernetes.io/managed-by": REPORT_NAME } },
      eventTime: microTime(opts.now),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: opts.instance,
      action: EVENT_ACTION,
      reason: EVENT_REASON,
      type: "Warning",
      regarding: {
        ...(apiVersion ? { apiVersion } : {}),
        kind: f.subject.kind,
        ...(f.subject.namespace ? { namespace: f.subject.namespace } : {}),
        name: f.subject.name,
        ...(f.origin.uid ? { uid: f.origin.uid } : {}),
      },
      note: truncate(`[${f.ruleId} ${f.slug}, ${f.severity}] ${f.message}`, NOTE_MAX),
    });
  }
  return [...byName.values()].sort((a, b) =>
    a.metadata.namespace === b.metadata.namespace
      ? a.metadata.name < b.metadata.name
        ? -1
        : 1
      : a.metadata.namespace < b.metadata.namespace
        ? -1
        : 1,
  );
}

export type EventOp =
  | { op: "create"; event: AuditEvent }
  | { op: "refresh"; event: AuditEvent }
  | { op: "none"; event: AuditEvent };

/**
 * Against the Events read back (ours, by the managed-by label): a missing Event is created (also one
 * the API server expired, by default after an hour); an existing one is refreshed, by patching its
 * series, only when it was last observed more than `refreshSeconds` ago, so a quiet cluster sees no
 * writes between refreshes and `kubectl get events` keeps showing the risk. Findings that are gone
 * are left to expire (deleting Events would hide history).
 */
export function planEvents(
  existing: readonly AuditEvent[],
  desired: readonly AuditEvent[],
  now: string,
  refreshSeconds = 1800,
): EventOp[] {
  const have = new Map(existing.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
  const nowMs = Date.parse(now);
  return desired.map((d): EventOp => {
    const e = have.get(`${d.metadata.namespace}/${d.metadata.name}`);
    if (!e) return { op: "create", event: d };
    const last = Date.parse(e.series?.lastObservedTime ?? e.eventTime);
    const sameNote = e.note === d.note && e.type === d.type;
    if (sameNote && !Number.isNaN(last) && nowMs - last < refreshSeconds * 1000)
      return { op: "none", event: e };
    return {
      op: "refresh",
      event: {
        ...e,
        note: d.note,
        type: d.type,
        reportingInstance: d.reportingInstance,
        series: { count: (e.series?.count ?? 1) + 1, lastObservedTime: microTime(now) },
      },
    };
  });
}
