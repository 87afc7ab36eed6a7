// /metrics fed from reports, read back as Prometheus scrapes it (the text exposition format,
// https://prometheus.io/docs/instrumenting/exposition_formats/).
import { describe, expect, it } from "vitest";
import { AuditMetrics, type ReportNode, type ReportWithNodes } from "../../../src/controller/metrics.js";
import { buildReport, type ImageReport } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, Severity, Subject } from "../../../src/core/types.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text format: `# HELP`/`# TYPE` lines and `name{a="b",...} value` samples. */
function scrape(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === "TYPE" ? types : help).set(meta[2] as string, meta[3] as string);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, "$1");
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, types, help };
}

const of = (s: Sample[], name: string) => s.filter((x) => x.name === name);

function f(
  ruleId: string,
  slug: string,
  severity: Severity,
  subject: Subject,
  extra: Partial<Finding> = {},
): Finding {
  return { ruleId, slug, severity, subject, origin: {}, message: "m", remediation: "r", docs: "d", ...extra };
}

const NODES: ReportNode[] = [
  {
    name: "w1",
    runtimeClass: "dockershim",
    runtime: { name: "docker", version: "20.10.24" },
    kubeletVersion: "v1.23.17",
  },
  {
    name: "w2",
    runtimeClass: "containerd",
    runtime: { name: "containerd", version: "1.7.28" },
    kubeletVersion: "v1.33.5",
  },
];

const verdict = (runtime: string, platform: string, v: ImageReport["verdicts"][number]["verdict"]) => ({
  runtime,
  platform,
  verdict: v,
  findings: [],
});

function report(findings: Finding[], nodes: ReportNode[] = NODES, images?: ImageReport[]): ReportWithNodes {
  const r = buildReport({
    target: makeTarget({ k8s: "1.37", runtimes: "containerd@2.3,cri-o@1.37" }),
    generatedAt: "2026-12-01T10:00:00.000Z",
    version: "0.1.0",
    findings,
    ...(images ? { images } : {}),
    coverage: {
      files: 0,
      documents: 0,
      objects: 5,
      workloads: 3,
      containers: 4,
      skipped: [{ source: "Node n1", reason: "kubelet configz not read: 403" }],
      errors: [{ source: "x", reason: "403" }],
    },
  });
  return { ...r, nodes };
}

const FINDINGS = () => [
  f("W001", "docker-socket-mount", "critical", {
    kind: "DaemonSet",
    namespace: "monitoring",
    name: "agent-a",
  }),
  f("W001", "docker-socket-mount", "critical", {
    kind: "DaemonSet",
    namespace: "monitoring",
    name: "agent-b",
  }),
  f("W001", "docker-socket-mount", "critical", { kind: "Deployment", namespace: "ci", name: "runner" }),
  f(
    "W001",
    "docker-socket-mount",
    "high",
    { kind: "Deployment", namespace: "ci", name: "ignored" },
    { suppressed: true },
  ),
  f("N001", "dockershim-node", "critical", { kind: "Node", name: "w1" }),
];

const IMAGES: ImageReport[] = [
  {
    reference: "a:1",
    normalized: "docker.io/library/a:1",
    verdicts: [
      verdict("containerd@2.3", "linux/amd64", "compatible"),
      verdict("containerd@2.3", "linux/arm64", "incompatible"),
      verdict("cri-o@1.37", "linux/amd64", "compatible"),
    ],
  },
  {
    reference: "b:1",
    normalized: "docker.io/library/b:1",
    verdicts: [
      verdict("containerd@2.3", "linux/amd64", "unknown"),
      verdict("cri-o@1.37", "linux/amd64", "unknown"),
    ],
  },
];

describe("AuditMetrics", () => {
  it("exports findings by rule, severity and namespace, suppressed ones excluded", async () => {
    const m = new AuditMetrics();
    m.observeReport(report(FINDINGS()));
    const { samples, types } = scrape(await m.text());
    expect(types.get("kube_runtime_audit_findings")).toBe("gauge");
    const findings = of(samples, "kube_runtime_audit_findings").map(
      (s) => `${s.labels.rule_id} ${s.labels.rule} ${s.labels.severity} ${s.labels.namespace} ${s.value}`,
    );
    expect(findings.sort()).toEqual([
      "N001 dockershim-node critical  1",
      "W001 docker-socket-mount critical ci 1",
      "W001 docker-socket-mount critical monitoring 2",
    ]);
  });

  it("exports one node_info series per node, value 1", async () => {
    const m = new AuditMetrics();
    m.observeReport(report(FINDINGS()));
    const nodes = of(scrape(await m.text()).samples, "kube_runtime_audit_node_info");
    expect(nodes).toEqual([
      {
        name: "kube_runtime_audit_node_info",
        labels: {
          node: "w1",
          runtime_class: "dockershim",
          runtime_version: "20.10.24",
          kubelet_version: "v1.23.17",
        },
        value: 1,
      },
      {
        name: "kube_runtime_audit_node_info",
        labels: {
          node: "w2",
          runtime_class: "containerd",
          runtime_version: "1.7.28",
          kubelet_version: "v1.33.5",
        },
        value: 1,
      },
    ]);
  });

  it("counts images by their worst verdict for each target runtime", async () => {
    const m = new AuditMetrics();
    m.observeReport(report(FINDINGS(), NODES, IMAGES));
    const images = of(scrape(await m.text()).samples, "kube_runtime_audit_images").filter((s) => s.value > 0);
    expect(images.map((s) => `${s.labels.runtime} ${s.labels.verdict} ${s.value}`).sort()).toEqual([
      "containerd@2.3 incompatible 1",
      "containerd@2.3 unknown 1",
      "cri-o@1.37 compatible 1",
      "cri-o@1.37 unknown 1",
    ]);
    // Every verdict has a series (zeros included) so a graph does not break when a count drops to 0.
    expect(of(scrape(await m.text()).samples, "kube_runtime_audit_images")).toHaveLength(8);
  });

  it("drops series of findings, nodes and images that are gone from the next report", async () => {
    const m = new AuditMetrics();
    m.observeReport(report(FINDINGS(), NODES, IMAGES));
    m.observeReport(report(FINDINGS().slice(2, 3), NODES.slice(1)));
    const { samples } = scrape(await m.text());
    expect(of(samples, "kube_runtime_audit_findings").map((s) => s.labels.namespace)).toEqual(["ci"]);
    expect(of(samples, "kube_runtime_audit_node_info").map((s) => s.labels.node)).toEqual(["w2"]);
    expect(of(samples, "kube_runtime_audit_images")).toEqual([]);
  });

  it("records scans, their duration, watch restarts and registry traffic", async () => {
    const m = new AuditMetrics();
    m.observeReport(report([]));
    m.observeScan({ durationSeconds: 0.7, ok: true, registryRequests: 40, registryErrors: 2 });
    m.observeScan({ durationSeconds: 3, ok: false });
    m.watchRestarted("pods", "expired");
    m.watchRestarted("pods", "expired");
    m.watchRestarted("nodes", "dropped");
    const { samples, types } = scrape(await m.text());
    const one = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    expect(types.get("kube_runtime_audit_scan_duration_seconds")).toBe("histogram");
    expect(one("kube_runtime_audit_scan_duration_seconds_count")).toBe(2);
    expect(one("kube_runtime_audit_scan_duration_seconds_sum")).toBeCloseTo(3.7);
    expect(one("kube_runtime_audit_scan_duration_seconds_bucket", { le: "1" })).toBe(1);
    expect(one("kube_runtime_audit_scans_total", { outcome: "ok" })).toBe(1);
    expect(one("kube_runtime_audit_scans_total", { outcome: "error" })).toBe(1);
    expect(one("kube_runtime_audit_watch_restarts_total", { resource: "pods", reason: "expired" })).toBe(2);
    expect(one("kube_runtime_audit_watch_restarts_total", { resource: "nodes", reason: "dropped" })).toBe(1);
    expect(one("kube_runtime_audit_registry_requests_total")).toBe(40);
    expect(one("kube_runtime_audit_registry_errors_total")).toBe(2);
    // An error and a skipped input: both leave the report partial.
    expect(one("kube_runtime_audit_coverage_errors")).toBe(2);
    expect(one("kube_runtime_audit_last_scan_timestamp_seconds")).toBe(
      Date.parse("2026-12-01T10:00:00.000Z") / 1000,
    );
    for (const [name, type] of types) if (type === "counter") expect(name).toMatch(/_total$/);
  });

  it("keeps labels low-cardinality: no pod, workload, uid or image names", async () => {
    const m = new AuditMetrics();
    m.observeReport(report(FINDINGS(), NODES, IMAGES));
    m.watchRestarted("pods", "error");
    const text = await m.text();
    const labelNames = new Set(scrape(text).samples.flatMap((s) => Object.keys(s.labels)));
    const allowed = ["kubelet_version", "le", "namespace", "node", "outcome", "reason", "resource", "rule"];
    allowed.push("rule_id", "runtime", "runtime_class", "runtime_version", "severity", "verdict");
    for (const l of labelNames) expect(allowed).toContain(l);
    for (const forbidden of ["agent-a", "runner", "docker.io/library/a:1", "a:1"])
      expect(text).not.toContain(`"${forbidden}"`);
    for (const name of scrape(text).help.keys()) expect(name).toMatch(/^kube_runtime_audit_/);
  });

  it("adds the process metrics on request, in its own registry only", async () => {
    const plain = new AuditMetrics();
    const withProcess = new AuditMetrics({ processMetrics: true });
    expect(await plain.text()).not.toContain("process_resident_memory_bytes");
    expect(await withProcess.text()).toContain("process_resident_memory_bytes");
    expect(withProcess.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
