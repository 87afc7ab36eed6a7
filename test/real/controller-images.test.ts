/**
 * The `controller` checking images against the real registry 2.8 (test/real/setup.ts): two
 * Deployments in one namespace use a Docker schema 1 image, which containerd 2.1 refuses (I001,
 * docs/rules/I001.md). The built CLI runs as in the cluster against the writable fake API server;
 * its PolicyReport is read back from the server: one result for the image, on both workloads, as
 * `scan --publish` places it, and the verdict in /metrics. A re-audit of one of them is served from
 * the image cache (the registry's request counter does not move).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeApiServer } from "../fakeapi/server.js";

type Obj = Record<string, unknown>;
const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/kube-runtime-audit.js");
const CRDS = join(ROOT, "test/fixtures/cluster/policyreport-crds.yaml");
const crafted = inject("crafted");
const reg = inject("testenv").regAddr;
const schema1 = crafted.images.find((x) => x.name === "g-schema1")?.ref;

function deployment(name: string, image: string, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: "shop",
      uid: `0d1a0000-0000-4000-8000-0000000000${name.length}${name.charCodeAt(0)}`,
      labels,
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
    },
  };
}

let api: FakeApiServer;
let dir: string;
let child: ChildProcess | undefined;
let stderr = "";

beforeAll(async () => {
  if (!schema1) throw new Error("crafted image g-schema1 missing");
  api = await FakeApiServer.start({
    writable: true,
    fixtures: [CRDS],
    objects: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "n1", labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
        status: {
          nodeInfo: {
            kubeletVersion: "v1.34.2",
            containerRuntimeVersion: "containerd://2.1.4",
            operatingSystem: "linux",
            architecture: "amd64",
          },
        },
      },
      deployment("legacy", schema1),
      deployment("legacy-copy", schema1),
    ],
  });
  dir = mkdtempSync(join(tmpdir(), "kra-real-ctl-"));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}\n${stderr}`);
}

describe("controller images (real registry)", () => {
  it("publishes a schema 1 image's finding on both workloads and serves a re-audit from the cache", async () => {
    const kc = join(dir, "kubeconfig");
    writeFileSync(kc, api.kubeconfig());
    child = spawn(
      process.execPath,
      [
        BIN,
        "controller",
        "--kubeconfig",
        kc,
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--health-probe-bind-address",
        "127.0.0.1:0",
        "--insecure-registry",
        reg,
        "--target-runtime",
        "containerd@2.1",
        "--log-format",
        "text",
      ],
      {
        env: { ...process.env, POD_NAMESPACE: "audit", POD_NAME: "real" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const rd = api.resourceFor("wgpolicyk8s.io/v1alpha2", "PolicyReport");
    type Result = { rule: string; resources?: { name: string }[]; properties?: Record<string, string> };
    const results = () =>
      ((rd ? api.stored(rd, "shop", "kube-runtime-audit") : undefined)?.results ?? []) as Result[];
    const scrape = async () =>
      (await fetch(`${/metrics on (http:\/\/[0-9.:]+)/.exec(stderr)?.[1] ?? ""}/metrics`)).text();
    await until(() => results().some((r) => r.properties?.ruleId === "I001"), "the I001 result").catch(
      async (e: unknown) => {
        throw new Error(`${String(e)}\n${JSON.stringify(results())}\n${await scrape()}`);
      },
    );
    const i001 = results().filter((r) => r.properties?.ruleId === "I001");
    expect(i001).toHaveLength(1);
    expect(i001[0]?.resources?.map((r) => r.name).sort()).toEqual(["legacy", "legacy-copy"]);
    expect(i001[0]?.properties?.image).toBe(schema1);

    const requests = (text: string) =>
      Number(/^kube_runtime_audit_registry_requests_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
    const first = await scrape();
    expect(first).toMatch(/kube_runtime_audit_images\{runtime="containerd@2\.1",verdict="incompatible"\} 1/);
    expect(requests(first)).toBeGreaterThan(0);

    // A change to one workload that keeps the image: re-audited, no registry request.
    api.add(deployment("legacy-copy", schema1 as string, { changed: "yes" }));
    await until(
      async () => /kube_runtime_audit_scans_total\{outcome="ok"\} [2-9]/.test(await scrape()),
      "the re-audit",
    );
    expect(requests(await scrape())).toBe(requests(first));
    child.kill("SIGTERM");
    expect(await new Promise((r) => child?.on("exit", r))).toBe(0);
  });
});
