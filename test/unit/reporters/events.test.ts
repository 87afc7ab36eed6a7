// Events on offending workloads: one per finding, refreshed, never repeated (issue #7 item 3).
import { Event } from "kubernetes-models/events.k8s.io/v1/Event";
import { describe, expect, it } from "vitest";
import { type AuditReport, buildReport } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, Severity, Subject } from "../../../src/core/types.js";
import {
  type AuditEvent,
  desiredEvents,
  type EventOp,
  microTime,
  planEvents,
} from "../../../src/reporters/events.js";

const T0 = "2026-12-01T10:00:00.000Z";
const T1 = "2026-12-01T10:10:00.000Z"; // 10 minutes later: inside the refresh interval
const T2 = "2026-12-01T11:00:00.000Z"; // an hour later: refresh

function f(ruleId: string, severity: Severity, subject: Subject, extra: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    slug: `slug-${ruleId}`,
    severity,
    subject,
    origin: { uid: `uid-${subject.name}` },
    message: `${ruleId} fired`,
    remediation: "r",
    docs: "d",
    ...extra,
  };
}

function audit(findings: Finding[]): AuditReport {
  return buildReport({
    target: makeTarget({}),
    generatedAt: T0,
    version: "0.1.0",
    findings,
    coverage: { files: 0, documents: 0, objects: 1, workloads: 1, containers: 1, skipped: [], errors: [] },
  });
}

const FINDINGS = () => [
  f("W001", "critical", { kind: "Deployment", namespace: "shop", name: "Cart_API", container: "agent" }),
  f("W001", "critical", { kind: "Deployment", namespace: "shop", name: "Cart_API", container: "sidecar" }),
  f("W009", "medium", { kind: "Deployment", namespace: "shop", name: "cart" }),
  f("W006", "high", { kind: "DaemonSet", namespace: "logging", name: "fluentd" }, { suppressed: true }),
  f("N001", "critical", { kind: "Node", name: "worker-1" }),
  f("I001", "critical", { kind: "Image", name: "legacy:1" }),
];

const opts = { failOn: "high" as const, instance: "kra-controller-7d9f-abc", now: T0 };

describe("desiredEvents", () => {
  const events = desiredEvents(audit(FINDINGS()), opts);

  it("one Warning Event per unsuppressed workload or node finding at or above failOn", () => {
    expect(events.map((e) => `${e.metadata.namespace} ${e.regarding.kind}/${e.regarding.name}`)).toEqual([
      "default Node/worker-1",
      "shop Deployment/Cart_API",
      "shop Deployment/Cart_API",
    ]);
    expect(new Set(events.map((e) => e.metadata.name)).size).toBe(3);
    expect(desiredEvents(audit(FINDINGS()), { ...opts, failOn: "none" })).toEqual([]);
  });

  it("fills the fields events.k8s.io/v1 requires, and validates against its schema", () => {
    const e = events[1] as AuditEvent;
    expect(e).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      eventTime: "2026-12-01T10:00:00.000000Z",
      reportingController: "kube-runtime-audit",
      reportingInstance: "kra-controller-7d9f-abc",
      action: "Audit",
      reason: "RuntimeMigrationRisk",
      type: "Warning",
      regarding: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "shop",
        name: "Cart_API",
        uid: "uid-Cart_API",
      },
      note: "[W001 slug-W001, critical] W001 fired",
    });
    for (const ev of events) expect(() => new Event(ev).validate()).not.toThrow();
    expect(e.metadata.name).toMatch(/^cart-api\.kra-[0-9a-f]{16}$/);
  });

  it("names an Event after its finding: the same on every run, different per container", () => {
    const again = desiredEvents(audit([...FINDINGS()].reverse()), {
      ...opts,
      now: T2,
      instance: "other-pod",
    });
    expect(again.map((e) => e.metadata.name)).toEqual(events.map((e) => e.metadata.name));
  });

  it("keeps the note within the API server's 1 kB", () => {
    const long = f(
      "W001",
      "critical",
      { kind: "Pod", namespace: "x", name: "p" },
      { message: "é".repeat(2000) },
    );
    const [e] = desiredEvents(audit([long]), opts);
    expect(Buffer.byteLength(e?.note ?? "")).toBeLessThanOrEqual(1024);
    expect(e?.note.endsWith("…")).toBe(true);
  });
});

/** The API server's copy of what was written. */
function stored(plan: EventOp[]): AuditEvent[] {
  return plan
    .filter((p) => p.op !== "none")
    .map((p, i) => ({ ...p.event, metadata: { ...p.event.metadata, resourceVersion: String(i + 1) } }));
}

describe("planEvents", () => {
  it("creates, then writes nothing within the refresh interval, then refreshes the series", () => {
    const first = planEvents([], desiredEvents(audit(FINDINGS()), opts), T0);
    expect(first.map((p) => p.op)).toEqual(["create", "create", "create"]);
    const store = stored(first);

    const quiet = planEvents(store, desiredEvents(audit(FINDINGS()), { ...opts, now: T1 }), T1);
    expect(quiet.map((p) => p.op)).toEqual(["none", "none", "none"]);

    const later = planEvents(store, desiredEvents(audit(FINDINGS()), { ...opts, now: T2 }), T2);
    expect(later.map((p) => p.op)).toEqual(["refresh", "refresh", "refresh"]);
    const refreshed = later[0]?.event as AuditEvent;
    // The API server requires series.count >= 2; the first occurrence keeps its eventTime.
    expect(refreshed.series).toEqual({ count: 2, lastObservedTime: microTime(T2) });
    expect(refreshed.eventTime).toBe(microTime(T0));
    expect(refreshed.metadata.resourceVersion).toBeDefined();
    expect(() => new Event(refreshed).validate()).not.toThrow();

    const third = planEvents(
      stored(later),
      desiredEvents(audit(FINDINGS()), { ...opts, now: "2026-12-01T12:00:00Z" }),
      "2026-12-01T12:00:00Z",
    );
    expect(third[0]?.event.series?.count).toBe(3);
  });

  it("refreshes at once when the message changed, and recreates an Event the API server expired", () => {
    const store = stored(planEvents([], desiredEvents(audit(FINDINGS()), opts), T0));
    const changed = FINDINGS().map((x) => (x.subject.kind === "Node" ? { ...x, message: "now worse" } : x));
    const plan = planEvents(store.slice(1), desiredEvents(audit(changed), { ...opts, now: T1 }), T1);
    expect(plan.map((p) => p.op)).toEqual(["create", "none", "none"]);
    const plan2 = planEvents(store, desiredEvents(audit(changed), { ...opts, now: T1 }), T1);
    expect(plan2.map((p) => p.op)).toEqual(["refresh", "none", "none"]);
    expect(plan2[0]?.event.note).toContain("now worse");
  });
});
