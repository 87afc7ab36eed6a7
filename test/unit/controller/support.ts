// Test doubles for the two injection points the controller does not own: the audit engine (the
// cluster scan) and the report planner (src/reporters). They follow the contracts in ports.ts:
// the audit returns every finding about the subjects it was asked for; the planner writes one
// report per namespace with findings plus one cluster report, and plans no write for unchanged
// content (timestamps aside).
import type {
  AuditFn,
  AuditRequest,
  JsonObject,
  ReportPlanner,
  WriteOp,
} from "../../../src/controller/ports.js";
import type { Finding } from "../../../src/core/types.js";

const DOCKER_IMAGE = /^docker(:|$)/;

function templateOf(obj: JsonObject | undefined): JsonObject | undefined {
  if (!obj) return undefined;
  const spec = obj.spec as JsonObject | undefined;
  if (obj.kind === "Pod") return spec;
  if (obj.kind === "CronJob")
    return ((spec?.jobTemplate as JsonObject)?.spec as JsonObject)?.template as JsonObject;
  return (spec?.template as JsonObject | undefined)?.spec as JsonObject | undefined;
}

/** Flags containers running a `docker` image (W-rule stand-in) and Docker Engine nodes (N001 stand-in). */
export function fakeAudit(calls: AuditRequest[]): AuditFn {
  return async (req) => {
    calls.push(req);
    const findings: Finding[] = [];
    for (const s of req.subjects) {
      const obj = req.view.get(s.kind, s.namespace, s.name);
      if (s.kind === "Node") {
        const info = ((obj?.status as JsonObject | undefined)?.nodeInfo ?? {}) as JsonObject;
        if (String(info.containerRuntimeVersion ?? "").startsWith("docker://")) {
          findings.push(
            finding("N002", "cri-dockerd-node", "high", { kind: "Node", name: s.name }, "node runs Docker"),
          );
        }
        continue;
      }
      const tpl = templateOf(obj);
      for (const c of (tpl?.containers as JsonObject[] | undefined) ?? []) {
        if (DOCKER_IMAGE.test(String(c.image))) {
          const subject = {
            kind: s.kind,
            namespace: s.namespace ?? "",
            name: s.name,
            container: String(c.name),
          };
          findings.push(
            finding("W001", "docker-socket-mount", "critical", subject, `runs ${String(c.image)}`),
          );
        }
      }
    }
    return { findings };
  };
}

function finding(
  ruleId: string,
  slug: string,
  severity: Finding["severity"],
  subject: Finding["subject"],
  message: string,
): Finding {
  return { ruleId, slug, severity, subject, origin: {}, message, remediation: "", docs: "" };
}

const PR = { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" };
const CPR = { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "ClusterPolicyReport" };

export const testPlanner: ReportPlanner = {
  managedKinds: () => [PR, CPR],
  desired(findings, now) {
    const byNs = new Map<string, Finding[]>();
    for (const f of findings) {
      const ns = f.subject.namespace ?? "";
      byNs.set(ns, [...(byNs.get(ns) ?? []), f]);
    }
    const out: JsonObject[] = [];
    for (const [ns, list] of byNs) {
      const results = list
        .map((f) => ({
          policy: "kube-runtime-audit",
          rule: f.slug,
          message: f.message,
          resources: [{ kind: f.subject.kind, name: f.subject.name, ...(ns ? { namespace: ns } : {}) }],
          timestamp: { seconds: Math.floor(now.getTime() / 1000), nanos: 0 },
        }))
        .sort((a, b) => JSON.stringify(a.resources).localeCompare(JSON.stringify(b.resources)));
      out.push({
        ...(ns ? PR : CPR),
        metadata: { name: "kube-runtime-audit", ...(ns ? { namespace: ns } : {}) },
        results,
        summary: { fail: results.length },
      });
    }
    return out;
  },
  plan(existing, desired) {
    const key = (o: JsonObject) => {
      const md = o.metadata as JsonObject;
      return `${o.kind as string}/${(md.namespace as string) ?? ""}/${md.name as string}`;
    };
    const strip = (o: JsonObject) =>
      JSON.stringify(((o.results as JsonObject[]) ?? []).map(({ timestamp: _t, ...rest }) => rest));
    const have = new Map(existing.map((o) => [key(o), o]));
    const ops: WriteOp[] = [];
    for (const d of desired) {
      const e = have.get(key(d));
      have.delete(key(d));
      if (!e) ops.push({ op: "create", object: d });
      else if (strip(e) === strip(d)) ops.push({ op: "none", object: e });
      else {
        const md = {
          ...(d.metadata as JsonObject),
          resourceVersion: (e.metadata as JsonObject).resourceVersion ?? "",
        };
        ops.push({ op: "update", object: { ...d, metadata: md } });
      }
    }
    for (const e of have.values()) ops.push({ op: "delete", object: e });
    return ops;
  },
};

export const silentLog = { info() {}, warn() {}, error() {}, debug() {} };

export function recordingLog(lines: string[]) {
  return {
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
    debug: () => {},
  };
}
