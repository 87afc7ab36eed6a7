// AuditReport → PolicyReports (issue #7 item 3), and the write plan that keeps publishing idempotent.
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { type AuditReport, buildReport, type ImageReport } from "../../../src/core/report.js";
import { docsUrl } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, Severity, Subject } from "../../../src/core/types.js";
import {
  buildPolicyReports,
  buildSummaryConfigMap,
  chooseReportApi,
  type PolicyReportObject,
  planSummaryWrite,
  planWrites,
  renderPolicyReport,
  toTimestamp,
  type WriteOp,
} from "../../../src/reporters/policyreport.js";
import { render } from "../chart/helm.js";
import { SAMPLES } from "./sample.js";

const AT = "2026-12-01T10:20:30.123456789Z";
const LATER = "2026-12-02T08:00:00.000Z";

const SLUG: Record<string, string> = {
  W001: "docker-socket-mount",
  W006: "docker-data-dir-mount",
  W009: "docker-host-env",
  N001: "dockershim-node",
  I001: "schema1-manifest",
};

function f(
  ruleId: string,
  severity: Severity,
  subject: Subject,
  uid?: string,
  extra: Partial<Finding> = {},
): Finding {
  return {
    ruleId,
    slug: SLUG[ruleId] ?? ruleId,
    severity,
    subject,
    origin: uid ? { uid } : {},
    message: `${ruleId} on ${subject.kind}/${subject.name}`,
    remediation: "fix it",
    docs: docsUrl(ruleId),
    ...extra,
  };
}

const UID_SHOP = "0b8f6c3e-1111-4a4a-9c9c-000000000001";
const UID_LOGS = "0b8f6c3e-1111-4a4a-9c9c-000000000002";
const UID_CI = "0b8f6c3e-1111-4a4a-9c9c-000000000003";

function findings(): Finding[] {
  return [
    f(
      "W001",
      "critical",
      { kind: "Deployment", namespace: "shop", name: "cart", container: "agent" },
      UID_SHOP,
    ),
    f("W009", "medium", { kind: "Deployment", namespace: "shop", name: "cart", container: "app" }, UID_SHOP),
    f(
      "W006",
      "high",
      { kind: "DaemonSet", namespace: "logging", name: "fluentd", container: "fluentd" },
      UID_LOGS,
    ),
    f("W001", "high", { kind: "CronJob", namespace: "ci", name: "prune", container: "docker" }, UID_CI, {
      suppressed: true,
      suppressedBy: "annotation",
    }),
    f("N001", "critical", { kind: "Node", name: "worker-1", node: "worker-1" }, "node-uid-1"),
    // One image finding per platform: collapses into one result per namespace that uses the image.
    f(
      "I001",
      "critical",
      { kind: "Image", name: "registry.local/legacy:1", image: "registry.local/legacy:1" },
      undefined,
      {
        runtime: "containerd@2.3",
      },
    ),
    f(
      "I001",
      "critical",
      { kind: "Image", name: "registry.local/legacy:1", image: "registry.local/legacy:1" },
      undefined,
      {
        runtime: "containerd@2.3",
      },
    ),
    f(
      "I001",
      "high",
      { kind: "Image", name: "registry.local/orphan:2", image: "registry.local/orphan:2" },
      undefined,
    ),
  ];
}

const IMAGES: ImageReport[] = [
  {
    reference: "registry.local/legacy:1",
    normalized: "registry.local/legacy:1",
    verdicts: [],
    usedBy: [
      { kind: "Deployment", namespace: "shop", name: "cart", container: "legacy" },
      { kind: "DaemonSet", namespace: "logging", name: "fluentd", container: "legacy" },
      { kind: "Deployment", namespace: "shop", name: "cart", container: "legacy-init" },
    ],
  },
  { reference: "registry.local/orphan:2", normalized: "registry.local/orphan:2", verdicts: [], usedBy: [] },
];

function audit(
  list: Finding[] = findings(),
  generatedAt = AT,
  errors: { source: string; reason: string }[] = [],
): AuditReport {
  return buildReport({
    target: makeTarget({ k8s: "1.37", runtimes: "containerd@2.3" }),
    generatedAt,
    version: "0.1.0",
    findings: list,
    images: IMAGES,
    coverage: { files: 0, documents: 0, objects: 10, workloads: 4, containers: 6, skipped: [], errors },
  });
}

const byName = (objs: PolicyReportObject[], kind: string, ns?: string) =>
  objs.find((o) => o.kind === kind && o.metadata.namespace === ns) as PolicyReportObject;

describe("buildPolicyReports", () => {
  const reports = buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "high" });

  it("writes one PolicyReport per namespace with findings, then one ClusterPolicyReport", () => {
    expect(reports.map((r) => `${r.kind}/${r.metadata.namespace ?? "-"}/${r.metadata.name}`)).toEqual([
      "PolicyReport/ci/kube-runtime-audit",
      "PolicyReport/logging/kube-runtime-audit",
      "PolicyReport/shop/kube-runtime-audit",
      "ClusterPolicyReport/-/kube-runtime-audit",
    ]);
    for (const r of reports) {
      expect(r.apiVersion).toBe("wgpolicyk8s.io/v1alpha2");
      expect(r.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "kube-runtime-audit" });
    }
  });

  it("fills each result as issue #7 specifies, on the top owner", () => {
    const shop = byName(reports, "PolicyReport", "shop");
    const sock = shop.results.find((r) => r.rule === "docker-socket-mount");
    expect(sock).toEqual({
      source: "kube-runtime-audit",
      policy: "kube-runtime-audit",
      rule: "docker-socket-mount",
      category: "workload",
      severity: "critical",
      result: "fail",
      scored: true,
      message: "W001 on Deployment/cart",
      timestamp: { seconds: 1796120430, nanos: 123456789 },
      resources: [
        { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "cart", uid: UID_SHOP },
      ],
      properties: { ruleId: "W001", container: "agent", docs: docsUrl("W001") },
    });
    // Below --fail-on: warn.
    expect(shop.results.find((r) => r.rule === "docker-host-env")?.result).toBe("warn");
  });

  it("stores Unix seconds, not the second of the minute", () => {
    expect(toTimestamp(AT)).toEqual({ seconds: 1796120430, nanos: 123456789 });
    expect(toTimestamp(AT).seconds).toBe(Math.floor(Date.parse(AT) / 1000));
    expect(toTimestamp("2026-12-02T08:00:00Z")).toEqual({ seconds: 1796198400, nanos: 0 });
  });

  it("publishes suppressed findings as skip, never fail", () => {
    const ci = byName(reports, "PolicyReport", "ci");
    expect(ci.results).toHaveLength(1);
    expect(ci.results[0]).toMatchObject({
      result: "skip",
      severity: "high",
      properties: { suppressedBy: "annotation" },
    });
    expect(ci.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 1 });
  });

  it("puts node findings and images no namespace uses in the cluster report", () => {
    const cluster = byName(reports, "ClusterPolicyReport");
    expect(cluster.results.map((r) => r.rule)).toEqual(["dockershim-node", "schema1-manifest"]);
    expect(cluster.results[0]).toMatchObject({
      category: "node",
      resources: [{ apiVersion: "v1", kind: "Node", name: "worker-1", uid: "node-uid-1" }],
      properties: { ruleId: "N001", node: "worker-1" },
    });
    expect(cluster.results[1]?.resources).toBeUndefined();
    expect(cluster.results[1]?.properties?.image).toBe("registry.local/orphan:2");
  });

  it("attaches an image finding to the workloads using it, once per namespace", () => {
    const shop = byName(reports, "PolicyReport", "shop").results.filter((r) => r.rule === "schema1-manifest");
    const logging = byName(reports, "PolicyReport", "logging").results.filter(
      (r) => r.rule === "schema1-manifest",
    );
    expect(shop).toHaveLength(1);
    expect(shop[0]?.resources).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "cart" },
    ]);
    expect(shop[0]?.properties).toMatchObject({
      image: "registry.local/legacy:1",
      runtime: "containerd@2.3",
    });
    expect(logging).toHaveLength(1);
    expect(logging[0]?.category).toBe("image");
  });

  it("counts the summary from the results", () => {
    for (const r of reports) {
      const counts = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
      for (const x of r.results) counts[x.result]++;
      expect(r.summary).toEqual(counts);
    }
    expect(byName(reports, "PolicyReport", "shop").summary).toEqual({
      pass: 0,
      fail: 2,
      warn: 1,
      error: 0,
      skip: 0,
    });
  });

  it("follows --fail-on: none makes everything warn, low makes everything fail", () => {
    const none = buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "none" });
    const low = buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "low" });
    const statuses = (objs: PolicyReportObject[]) =>
      new Set(objs.flatMap((o) => o.results.map((r) => r.result)));
    expect(statuses(none)).toEqual(new Set(["warn", "skip"]));
    expect(statuses(low)).toEqual(new Set(["fail", "skip"]));
  });

  it("reports what could not be read as error results in the cluster report", () => {
    const objs = buildPolicyReports(
      audit(findings(), AT, [{ source: "batch/v1 cronjobs (namespace payments)", reason: "403" }]),
      {
        api: "wgpolicyk8s",
        failOn: "high",
      },
    );
    const cluster = byName(objs, "ClusterPolicyReport");
    expect(cluster.results.find((r) => r.result === "error")).toMatchObject({
      rule: "coverage",
      message: "403",
      properties: { source: "batch/v1 cronjobs (namespace payments)" },
    });
    expect(cluster.summary.error).toBe(1);
  });

  it("reports inputs that were skipped (a kubelet configz not read) as skip results", () => {
    const report = audit([]);
    report.coverage.skipped.push({ source: "Node n1", reason: "kubelet configz not read: 403" });
    const cluster = byName(
      buildPolicyReports(report, { api: "wgpolicyk8s", failOn: "high" }),
      "ClusterPolicyReport",
    );
    expect(cluster.results).toEqual([
      expect.objectContaining({
        rule: "coverage",
        result: "skip",
        message: "kubelet configz not read: 403",
        properties: { source: "Node n1" },
      }),
    ]);
    expect(cluster.summary).toMatchObject({ skip: 1, error: 0, fail: 0 });
  });

  it("writes no cluster report when nothing is cluster-scoped, as for a namespace without findings", () => {
    expect(buildPolicyReports(audit([]), { api: "wgpolicyk8s", failOn: "high" })).toEqual([]);
    const nsOnly = findings().filter((x) => x.subject.namespace !== undefined && x.subject.kind !== "Image");
    const objs = buildPolicyReports(audit(nsOnly), { api: "wgpolicyk8s", failOn: "high" });
    expect(objs.length).toBeGreaterThan(0);
    expect(objs.some((o) => o.kind === "ClusterPolicyReport")).toBe(false);
  });

  it("is deterministic: the order of findings does not matter", () => {
    const shuffled = findings().reverse();
    const a = JSON.stringify(buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "high" }));
    const b = JSON.stringify(buildPolicyReports(audit(shuffled), { api: "wgpolicyk8s", failOn: "high" }));
    expect(b).toBe(a);
  });

  it("speaks openreports.io when asked: Report/ClusterReport with a top-level source", () => {
    const objs = buildPolicyReports(audit(), { api: "openreports", failOn: "high" });
    expect(new Set(objs.map((o) => `${o.apiVersion} ${o.kind}`))).toEqual(
      new Set(["openreports.io/v1alpha1 Report", "openreports.io/v1alpha1 ClusterReport"]),
    );
    for (const o of objs) expect(o.source).toBe("kube-runtime-audit");
    expect(reports.every((o) => o.source === undefined)).toBe(true);
  });

  it("renders kubectl-appliable multi-document YAML", () => {
    const y = renderPolicyReport(audit(), { failOn: "high" });
    expect(y.split(/^---$/m)).toHaveLength(4);
    expect(y).toContain("kind: ClusterPolicyReport");
  });
});

describe("the reports fit the PolicyReport CRD the chart installs", () => {
  // The API server prunes fields its structural schema does not declare: validate with every declared
  // object closed (additionalProperties: false) so a field we set but the CRD would drop fails here.
  type Schema = {
    type?: string;
    properties?: Record<string, Schema>;
    items?: Schema;
    additionalProperties?: unknown;
  };
  function closed(s: Schema): Schema {
    const out: Schema = { ...s };
    if (s.properties) {
      out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, closed(v)]));
      if (s.additionalProperties === undefined) out.additionalProperties = false;
    }
    if (s.items) out.items = closed(s.items);
    return out;
  }
  const validators = new Map<string, (o: unknown) => boolean>();
  let ajv: Ajv;
  beforeAll(() => {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const crds = render({ installPolicyReportCRD: true }).filter(
      (o) => o.kind === "CustomResourceDefinition",
    );
    for (const crd of crds) {
      // biome-ignore lint/suspicious/noExplicitAny: rendered CRD
      const spec = crd.spec as any;
      const schema = closed(spec.versions[0].schema.openAPIV3Schema);
      // metadata is validated by the API server itself, not by the CRD schema.
      if (schema.properties?.metadata) schema.properties.metadata = { type: "object" };
      validators.set(spec.names.kind, ajv.compile(schema));
    }
  }, 120_000);

  const cases: [string, () => AuditReport][] = [
    ["this suite's audit", () => audit(findings(), AT, [{ source: "x", reason: "y" }])],
    ...Object.entries(SAMPLES),
  ];
  for (const [name, build] of cases) {
    it(name, () => {
      for (const o of buildPolicyReports(build(), { api: "wgpolicyk8s", failOn: "medium" })) {
        const v = validators.get(o.kind) as ((o: unknown) => boolean) & { errors?: unknown };
        expect(v, o.kind).toBeDefined();
        const ok = v(JSON.parse(JSON.stringify(o)));
        expect(v.errors ?? null, `${o.kind} ${o.metadata.namespace ?? ""}`).toBeNull();
        expect(ok).toBe(true);
      }
    });
  }
  it("a validator that can fail: an unknown field or severity is refused", () => {
    const [o] = buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "high" });
    const v = validators.get("PolicyReport") as (o: unknown) => boolean;
    const bad = JSON.parse(JSON.stringify(o));
    bad.results[0].severity = "severe";
    expect(v(bad)).toBe(false);
    const extra = JSON.parse(JSON.stringify(o));
    extra.source = "top-level source is openreports only";
    expect(v(extra)).toBe(false);
  });
});

/** The API server's view: what it stores, with the metadata it adds. */
function serverCopy(o: PolicyReportObject, rv: number): PolicyReportObject {
  const copy = JSON.parse(JSON.stringify(o)) as PolicyReportObject & { metadata: Record<string, unknown> };
  Object.assign(copy.metadata, {
    resourceVersion: String(rv),
    uid: `uid-${rv}`,
    creationTimestamp: "2026-12-01T10:20:31Z",
    managedFields: [{ manager: "kube-runtime-audit" }],
  });
  return copy;
}

/** Applies a plan to a fake store (as the publisher does against the API server). */
function apply(store: PolicyReportObject[], plan: WriteOp[]): PolicyReportObject[] {
  const id = (o: PolicyReportObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  const next = new Map(store.map((o) => [id(o), o]));
  let rv = 100;
  for (const p of plan) {
    if (p.op === "delete") next.delete(id(p.object));
    if (p.op === "create" || p.op === "update") next.set(id(p.object), serverCopy(p.object, ++rv));
  }
  return [...next.values()];
}

const ops = (plan: WriteOp[]) =>
  plan.map((p) => `${p.op} ${p.object.kind}/${p.object.metadata.namespace ?? "-"}`);

describe("planWrites", () => {
  const desired = () => buildPolicyReports(audit(), { api: "wgpolicyk8s", failOn: "high" });

  it("creates every report in an empty cluster", () => {
    expect(ops(planWrites([], desired()))).toEqual([
      "create PolicyReport/ci",
      "create PolicyReport/logging",
      "create PolicyReport/shop",
      "create ClusterPolicyReport/-",
    ]);
  });

  it("writes nothing when nothing changed, even a day later and after a restart", () => {
    const store = apply([], planWrites([], desired()));
    // A later scan (new generatedAt) that finds the same things, planned by a process with no memory.
    const later = buildPolicyReports(audit(findings(), LATER), { api: "wgpolicyk8s", failOn: "high" });
    expect(planWrites(store, later).map((p) => p.op)).toEqual(["none", "none", "none", "none"]);
    // Results in another order on the server are still "nothing changed".
    const reordered = store.map((o) => ({ ...o, results: [...o.results].reverse() }));
    expect(planWrites(reordered, later).every((p) => p.op === "none")).toBe(true);
  });

  it("updates only the namespace that changed, keeping first-seen timestamps and the resourceVersion", () => {
    const store = apply([], planWrites([], desired()));
    const changed = findings();
    changed.push(
      f("W009", "high", { kind: "Deployment", namespace: "shop", name: "checkout", container: "app" }, "u-9"),
    );
    const plan = planWrites(
      store,
      buildPolicyReports(audit(changed, LATER), { api: "wgpolicyk8s", failOn: "high" }),
    );
    expect(ops(plan)).toEqual([
      "none PolicyReport/ci",
      "none PolicyReport/logging",
      "update PolicyReport/shop",
      "none ClusterPolicyReport/-",
    ]);
    const shop = plan[2]?.object as PolicyReportObject;
    const before = store.find((o) => o.metadata.namespace === "shop") as PolicyReportObject;
    expect(shop.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const ts = (name: string) =>
      shop.results.find((r) => r.resources?.[0]?.name === name && r.rule === "docker-host-env")?.timestamp;
    expect(ts("cart")).toEqual(toTimestamp(AT));
    expect(ts("checkout")).toEqual(toTimestamp(LATER));
  });

  it("deletes the report of a namespace with no findings left, and converges", () => {
    const store = apply([], planWrites([], desired()));
    const fewer = findings().filter((x) => x.subject.namespace !== "logging" && x.subject.kind !== "Image");
    const next = buildPolicyReports(audit(fewer, LATER), { api: "wgpolicyk8s", failOn: "high" });
    const plan = planWrites(store, next);
    expect(ops(plan)).toEqual([
      "none PolicyReport/ci",
      "update PolicyReport/shop",
      "update ClusterPolicyReport/-",
      "delete PolicyReport/logging",
    ]);
    const after = apply(store, plan);
    expect(planWrites(after, next).every((p) => p.op === "none")).toBe(true);
  });

  it("deletes the cluster report once its last result is gone", () => {
    const store = apply([], planWrites([], desired()));
    const nsOnly = findings().filter((x) => x.subject.namespace !== undefined && x.subject.kind !== "Image");
    const next = buildPolicyReports(audit(nsOnly, LATER), { api: "wgpolicyk8s", failOn: "high" });
    const plan = planWrites(store, next);
    expect(ops(plan).filter((o) => o.includes("Cluster"))).toEqual(["delete ClusterPolicyReport/-"]);
    expect(planWrites(apply(store, plan), next).every((p) => p.op === "none")).toBe(true);
  });

  it("never touches reports it did not write", () => {
    const kyverno: PolicyReportObject = {
      apiVersion: "wgpolicyk8s.io/v1alpha2",
      kind: "PolicyReport",
      metadata: {
        name: "0b8f6c3e-uid",
        namespace: "shop",
        labels: { "app.kubernetes.io/managed-by": "kyverno" },
      },
      summary: { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 },
      results: [],
    };
    const sameNameNotOurs: PolicyReportObject = {
      ...kyverno,
      metadata: { name: "kube-runtime-audit", namespace: "other", labels: {} },
    };
    const plan = planWrites([kyverno, sameNameNotOurs], desired());
    expect(plan.every((p) => p.op === "create")).toBe(true);
    expect(plan.map((p) => p.object)).not.toContain(kyverno);
  });

  it("moves from one report API to the other: create the new, delete the old", () => {
    const store = apply([], planWrites([], desired()));
    const open = buildPolicyReports(audit(), { api: "openreports", failOn: "high" });
    const plan = planWrites(store, open);
    expect(plan.filter((p) => p.op === "create").map((p) => p.object.kind)).toEqual([
      "Report",
      "Report",
      "Report",
      "ClusterReport",
    ]);
    expect(plan.filter((p) => p.op === "delete")).toHaveLength(4);
  });
});

describe("chooseReportApi", () => {
  it("auto prefers openreports.io, then wgpolicyk8s.io, then the ConfigMap", () => {
    expect(chooseReportApi("auto", { wgpolicyk8s: true, openreports: true })).toEqual({
      target: "openreports",
    });
    expect(chooseReportApi("auto", { wgpolicyk8s: true, openreports: false })).toEqual({
      target: "wgpolicyk8s",
    });
    expect(chooseReportApi("auto", { wgpolicyk8s: false, openreports: false })).toEqual({
      target: "configmap",
    });
  });
  it("an explicit API must be served", () => {
    expect(chooseReportApi("wgpolicyk8s", { wgpolicyk8s: true, openreports: true })).toEqual({
      target: "wgpolicyk8s",
    });
    expect(chooseReportApi("openreports", { wgpolicyk8s: true, openreports: false })).toEqual({
      error: expect.stringContaining("does not serve reports.openreports.io"),
    });
  });
});

describe("summary ConfigMap (no report API served)", () => {
  it("counts results by severity, rule and namespace, in the auditor's namespace", () => {
    const report = audit(findings(), AT, [{ source: "s", reason: "403" }]);
    report.coverage.skipped.push({ source: "Node n1", reason: "kubelet configz not read" });
    const cm = buildSummaryConfigMap(report, { failOn: "high", namespace: "kra" });
    expect(cm.metadata).toEqual({
      name: "kube-runtime-audit",
      namespace: "kra",
      labels: { "app.kubernetes.io/managed-by": "kube-runtime-audit" },
    });
    const s = JSON.parse(cm.data["summary.json"]);
    expect(s.results).toEqual({ pass: 0, fail: 6, warn: 1, error: 1, skip: 2 });
    expect(s.byNamespace.shop).toEqual({ pass: 0, fail: 2, warn: 1, error: 0, skip: 0 });
    expect(s.byRule["docker-socket-mount"]).toBe(1);
    expect(s.coverageErrors).toEqual(["s: 403"]);
    expect(s.coverageSkipped).toEqual(["Node n1: kubelet configz not read"]);
    expect(cm.data["summary.json"]).not.toContain("2026-");
  });
  it("is rewritten only when the counts change", () => {
    const a = buildSummaryConfigMap(audit(), { failOn: "high", namespace: "kra" });
    const stored = { ...a, metadata: { ...a.metadata, resourceVersion: "7" } };
    expect(planSummaryWrite(undefined, a).op).toBe("create");
    expect(
      planSummaryWrite(
        stored,
        buildSummaryConfigMap(audit(findings(), LATER), { failOn: "high", namespace: "kra" }),
      ).op,
    ).toBe("none");
    const changed = planSummaryWrite(
      stored,
      buildSummaryConfigMap(audit(findings().slice(1)), { failOn: "high", namespace: "kra" }),
    );
    expect(changed.op).toBe("update");
    expect(changed.object.metadata.resourceVersion).toBe("7");
  });
});

describe("reports stay below the API server's object size", () => {
  const many = () =>
    Array.from({ length: 30 }, (_, i) =>
      f(
        i % 3 === 0 ? "W001" : "W009",
        i % 3 === 0 ? "critical" : "low",
        { kind: "Deployment", namespace: "big", name: `app-${String(i).padStart(2, "0")}` },
        `u-${i}`,
      ),
    );
  it("keeps the most severe results, counts all of them, and says how many were left out", () => {
    const [big] = buildPolicyReports(audit(many()), { api: "wgpolicyk8s", failOn: "high", maxResults: 12 });
    expect(big?.results).toHaveLength(12);
    expect(big?.results.filter((r) => r.result === "fail")).toHaveLength(10);
    expect(big?.summary).toEqual({ pass: 0, fail: 10, warn: 20, error: 0, skip: 0 });
    expect(big?.metadata.annotations).toEqual({ "runtime-audit.io/omitted-results": "18" });
    // Still in the one deterministic order.
    expect(big?.results.map((r) => r.rule)).toEqual([...(big?.results.map((r) => r.rule) ?? [])].sort());
  });
  it("a full-size report of 1,000 results fits in 1.5 MiB", () => {
    const list = Array.from({ length: 1500 }, (_, i) =>
      f(
        "W001",
        "critical",
        {
          kind: "Deployment",
          namespace: "huge",
          name: `a-rather-long-deployment-name-${i}`,
          container: "agent-container",
        },
        `0b8f6c3e-1111-4a4a-9c9c-${String(i).padStart(12, "0")}`,
        {
          message: `container "agent-container" mounts the Docker Engine socket /var/run/docker.sock from the node (spec.template.spec.volumes[${i % 7}].hostPath.path); containerd and CRI-O nodes have no Docker Engine.`,
        },
      ),
    );
    const [huge] = buildPolicyReports(audit(list), { api: "wgpolicyk8s", failOn: "high" });
    expect(huge?.results).toHaveLength(1000);
    expect(Buffer.byteLength(JSON.stringify(huge))).toBeLessThan(1.5 * 1024 * 1024);
  });
});
