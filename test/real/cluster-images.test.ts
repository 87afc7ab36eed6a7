/**
 * The cluster scan's image checks against a real registry 2.8 with TLS and token auth: the fixture
 * cluster (test/fakeapi/cluster-fixture.ts) served by the fake API server, its pull secrets rewritten
 * to this registry. Each image is tried with the pull secrets of the pods that use it: the fixture's
 * `ci` namespace pulls its private images with its secrets (a dockerconfigjson named by the
 * Deployment, a legacy dockercfg named by the Job's service account); the same private image used in
 * a namespace without a pull secret is `unknown` (auth) for that use, never pullable through `ci`'s
 * secret. Secrets are only ever read with `get` by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageReport } from "../../src/core/report.js";
import { makeTarget } from "../../src/core/target.js";
import { scanCluster } from "../../src/scan/cluster.js";
import { checkImages } from "../../src/scan/images.js";
import { clusterFixtureObjects } from "../fakeapi/cluster-fixture.js";
import { FakeApiServer } from "../fakeapi/server.js";
import { pushTinyImage, type TinyImage } from "./harness/push.js";
import {
  type CertPair,
  makeCert,
  type RegistryProcess,
  startRegistry,
  TokenServer,
} from "./harness/token-server.js";

// The fixture's pull secrets hold these (test/fixtures/cluster/40-ci.yaml).
const USERS = { "ci-puller": "fixture-pull-token", "legacy-builder": "fixture-legacy-token" };

let dir: string;
let tls: CertPair;
let tokens: TokenServer;
let plain: RegistryProcess;
let secured: RegistryProcess;
let api: FakeApiServer;
let kubeconfig: string;
const pushed: Record<string, TinyImage> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kra-clusterimg-"));
  tls = makeCert(join(dir, "certs"), "tls");
  const signing = makeCert(join(dir, "certs"), "signing", "kra-token-signer");
  tokens = await new TokenServer({
    service: "kra-cluster-registry",
    issuer: "kra-cluster-issuer",
    signing,
    tls,
    users: USERS,
    grants: { "ci-puller": ["ci/runner"], "legacy-builder": ["ci/builder"] },
  }).start();
  const storageDir = join(dir, "storage");
  plain = await startRegistry({ dir: join(dir, "plain"), storageDir });
  secured = await startRegistry({
    dir: join(dir, "secured"),
    storageDir,
    tls,
    token: {
      realm: tokens.realm,
      service: "kra-cluster-registry",
      issuer: "kra-cluster-issuer",
      rootCertPath: signing.certPath,
    },
  });
  pushed.runner = await pushTinyImage(plain.addr, "ci/runner", { format: "docker", tag: "2.19.0" });
  pushed.builder = await pushTinyImage(plain.addr, "ci/builder", { format: "oci", tag: "1.4.0" });
  const runner = `${secured.addr}/ci/runner:2.19.0`;
  api = await FakeApiServer.start({
    gitVersion: "v1.34.2",
    objects: [
      ...clusterFixtureObjects({ registry: secured.addr }),
      // The same private image in a namespace that has no pull secret for it.
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "runner-copy", namespace: "sandbox", uid: "bbbbbbbb-0000-4000-8000-000000000001" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "runner-copy" } },
          template: {
            metadata: { labels: { app: "runner-copy" } },
            spec: {
              nodeSelector: { "kubernetes.io/os": "linux" },
              containers: [{ name: "runner", image: runner }],
            },
          },
        },
      },
    ],
  });
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, api.kubeconfig());
});

afterAll(async () => {
  await api?.close();
  for (const r of [secured, plain]) await r?.stop();
  await tokens?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const where = (r: ImageReport) => (r.usedBy ?? []).map((u) => `${u.kind} ${u.namespace}/${u.name}`).sort();

describe("cluster scan images with the pods' pull secrets", () => {
  it("pulls with each use's own secrets and reports the others unknown (auth)", async () => {
    const r = await scanCluster({
      kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35", runtimes: "containerd@2.1" }),
      ignore: new Set(),
      collectImages: true,
    });
    const ours = new Map([...r.images].filter(([ref]) => ref.startsWith(secured.addr)));
    expect([...ours.keys()].sort()).toEqual([
      `${secured.addr}/ci/builder:1.4.0`,
      `${secured.addr}/ci/runner:2.19.0`,
    ]);
    const checked = await checkImages(ours, {
      target: r.target,
      ignore: new Set(),
      caCertificates: [tls.certPem],
      requestTimeoutMs: 5000,
    });
    const runner = checked.images.filter((i) => i.reference.endsWith("/ci/runner:2.19.0"));
    // Two outcomes, two reports: fetched for ci (regcred), refused for sandbox (no secret).
    expect(runner.map((i) => [i.digest, where(i)])).toEqual([
      [pushed.runner?.manifest.digest, ["Deployment ci/runner"]],
      [undefined, ["Deployment sandbox/runner-copy"]],
    ]);
    const refused = runner[1] as ImageReport;
    expect(refused.verdicts.length).toBeGreaterThan(0);
    for (const v of refused.verdicts) {
      expect(v.verdict).toBe("unknown");
      expect(v.reason).toMatch(/auth|401|denied|credential/i);
    }
    expect(runner[0]?.verdicts.some((v) => v.verdict === "unknown")).toBe(false);
    // The builder Job names no pull secret; its service account's legacy dockercfg opens it.
    const builder = checked.images.filter((i) => i.reference.endsWith("/ci/builder:1.4.0"));
    expect(builder.map((i) => [i.digest, where(i)])).toEqual([
      [pushed.builder?.manifest.digest, ["Job ci/image-build"]],
    ]);
    expect(checked.unknown).toBe(1);

    // Secrets: only `get` by name, never list or watch; and nothing is written.
    const secretReqs = api.log.filter((e) => e.resource === "secrets");
    expect(secretReqs.length).toBeGreaterThan(0);
    for (const e of secretReqs) expect([e.verb, typeof e.name]).toEqual(["get", "string"]);
    expect(secretReqs.map((e) => `${e.namespace}/${e.name}`).sort()).toContain("ci/regcred");
    expect(api.log.filter((e) => !["get", "list", "discovery"].includes(e.verb))).toEqual([]);
    // No password or token in what the scan reports.
    const text = JSON.stringify([checked, r.coverage, r.findings]);
    for (const pass of Object.values(USERS)) expect(text).not.toContain(pass);
  });
});
