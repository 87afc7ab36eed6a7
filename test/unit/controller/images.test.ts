// The controller's image bookkeeping: image reports kept per subject, merged as `scan` reports them,
// and image findings placed by the real PolicyReport builder on the workloads that use the image.
// The engine is a stand-in that judges any `legacy/` image incompatible (the checks themselves are
// src/scan/images.ts's, tested with real registries in test/real).
import { afterEach, describe, expect, it } from "vitest";
import { reportPlanner } from "../../../src/controller/adapters.js";
import { mergeImages } from "../../../src/controller/images.js";
import type { AuditFn, JsonObject, ResourceSpec } from "../../../src/controller/ports.js";
import { type ControllerHandle, DEFAULT_RESOURCES, runController } from "../../../src/controller/run.js";
import type { ImageReport } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";
import { buildPolicyReports, planWrites } from "../../../src/reporters/policyreport.js";
import { FakeApi, FakeClock, MemoryReportStore } from "./fakes.js";
import { silentLog } from "./support.js";

const spec = (kind: string): ResourceSpec =>
  (DEFAULT_RESOURCES.find((r) => r.spec.kind === kind) as { spec: ResourceSpec }).spec;
const DEPLOY = spec("Deployment");
const NS = spec("Namespace");

function deployment(name: string, image: string, ns = "shop"): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    spec: { template: { spec: { containers: [{ name: "app", image }] } } },
  };
}

function imageReport(ref: string, uses: ImageReport["usedBy"]): ImageReport {
  const bad = ref.startsWith("legacy/");
  const f: Finding = {
    ruleId: "I001",
    slug: "schema1-manifest",
    severity: "critical",
    subject: { kind: "Image", name: ref, image: ref },
    origin: {},
    message: `${ref} is a schema 1 manifest`,
    remediation: "",
    docs: "",
    runtime: "containerd@2.1",
    platform: "linux/amd64",
  };
  return {
    reference: ref,
    normalized: `docker.io/${ref}`,
    digest: `sha256:${ref.length}`,
    verdicts: [
      {
        runtime: "containerd@2.1",
        platform: "linux/amd64",
        verdict: bad ? "incompatible" : "compatible",
        findings: bad ? [f] : [],
      },
    ],
    usedBy: uses,
  };
}

/** Reports, for each subject asked for, the images its template uses. */
const imageAudit =
  (asked: string[][]): AuditFn =>
  async (req) => {
    asked.push(req.subjects.map((s) => s.name).sort());
    const images: ImageReport[] = [];
    for (const s of req.subjects) {
      const o = req.view.get(s.kind, s.namespace, s.name);
      const tpl = ((o?.spec as JsonObject | undefined)?.template as JsonObject | undefined)?.spec as
        | JsonObject
        | undefined;
      for (const c of (tpl?.containers as JsonObject[] | undefined) ?? [])
        images.push(
          imageReport(String(c.image), [
            {
              kind: s.kind,
              name: s.name,
              container: String(c.name),
              ...(s.namespace ? { namespace: s.namespace } : {}),
            },
          ]),
        );
    }
    return { findings: [], images };
  };

let handles: ControllerHandle[] = [];
afterEach(async () => {
  for (const h of handles) await h.stop();
  handles = [];
});

describe("mergeImages", () => {
  it("one report per reference and outcome with every use, each image finding once", () => {
    const u = (name: string) => ({ kind: "Deployment", namespace: "shop", name, container: "app" });
    const m = mergeImages([
      [imageReport("legacy/app:1", [u("web")])],
      [imageReport("legacy/app:1", [u("api")]), imageReport("nginx:1", [u("api")])],
    ]);
    expect(m.images.map((i) => `${i.reference} ${(i.usedBy ?? []).map((x) => x.name).join(",")}`)).toEqual([
      "legacy/app:1 api,web",
      "nginx:1 api",
    ]);
    expect(m.findings.map((f) => `${f.ruleId} ${f.subject.name}`)).toEqual(["I001 legacy/app:1"]);
  });
});

describe("runController with image checks", () => {
  it("places an image finding on every workload using the image, and re-audits replace only their own uses", async () => {
    const api = new FakeApi();
    api.apply(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    api.apply(DEPLOY, deployment("web", "legacy/app:1"));
    api.apply(DEPLOY, deployment("api", "legacy/app:1"));
    const clock = new FakeClock();
    const reports = new MemoryReportStore();
    const asked: string[][] = [];
    const planner = reportPlanner({
      kinds: [{ apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" }],
      target: makeTarget({ runtimes: "containerd@2.1", platforms: "linux/amd64" }),
      version: "1",
      build: (r) => buildPolicyReports(r, { api: "wgpolicyk8s", failOn: "high" }) as unknown as JsonObject[],
      plan: (existing, desired) =>
        planWrites(existing as never, desired as never) as unknown as { op: "none"; object: JsonObject }[],
    });
    const h = await runController(
      { identity: "pod-a" },
      { source: api, reports, audit: imageAudit(asked), planner, clock, log: silentLog },
    );
    handles.push(h);
    await h.ready;
    await h.flush();
    const shop = () =>
      [...reports.objects.values()].find(
        (o) => o.kind === "PolicyReport" && (o.metadata as JsonObject).namespace === "shop",
      ) as { results: { rule: string; resources: { name: string }[]; properties: Record<string, string> }[] };
    const imageResult = () => shop()?.results.find((r) => r.rule === "schema1-manifest");
    expect(imageResult()?.resources.map((r) => r.name)).toEqual(["api", "web"]);
    expect(imageResult()?.properties.image).toBe("legacy/app:1");
    expect(h.findings().filter((f) => f.ruleId === "I001")).toHaveLength(1);

    // web moves to a clean image: only web is re-audited; api keeps its use of the legacy image.
    api.apply(DEPLOY, deployment("web", "nginx:1"));
    await clock.advance(600);
    await h.flush();
    expect(asked.at(-1)).toEqual(["web"]);
    expect(imageResult()?.resources.map((r) => r.name)).toEqual(["api"]);

    // api too: the image finding is gone, and so is the report.
    api.apply(DEPLOY, deployment("api", "nginx:1"));
    await clock.advance(600);
    await h.flush();
    expect(shop()).toBeUndefined();
  });
});
