// `scan` as a CLI against the fake API server (no kubectl in between): what it says on stderr about
// images it could not verify, and the gate on them. Needs `npm run build` (as the cli suite).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { run } from "../cli/run.js";
import { FakeApiServer } from "../fakeapi/server.js";

type Obj = Record<string, unknown>;

/** A port on 127.0.0.1 that nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

let server: FakeApiServer;
let dir: string;
let kubeconfig: string;
let registry: string;

beforeAll(async () => {
  registry = `127.0.0.1:${await closedPort()}`;
  const objects: Obj[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1", labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
      status: {
        nodeInfo: {
          kubeletVersion: "v1.34.1",
          containerRuntimeVersion: "containerd://2.2.1",
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api", namespace: "shop", uid: "00000000-0000-0000-0000-0000000000a1" },
      spec: {
        selector: { matchLabels: { app: "api" } },
        template: {
          metadata: { labels: { app: "api" } },
          spec: { containers: [{ name: "api", image: `${registry}/shop/api:1.0` }] },
        },
      },
    },
  ];
  server = await FakeApiServer.start({ objects });
  dir = mkdtempSync(join(tmpdir(), "scan-cli-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, server.kubeconfig());
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.log.length = 0;
});

const scan = (...args: string[]) =>
  run(
    [
      "scan",
      "--kubeconfig",
      kubeconfig,
      "--insecure-registry",
      registry,
      "--registry-timeout",
      "5",
      // End-of-life dates are judged as of a fixed day, when the node's containerd is supported.
      "--as-of",
      "2026-06-01",
      ...args,
    ],
    {
      cwd: dir,
    },
  );

describe("scan: images that could not be verified", () => {
  it("prints one stderr warning per unverified image, as files --check-images does", async () => {
    const r = await scan("-o", "json");
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; message: string }[];
      images: { reference: string; verdicts: { verdict: string }[] }[];
      coverage: { images?: { checked: number; unknown: number } };
    };
    expect(report.images.map((i) => [i.reference, i.verdicts.map((v) => v.verdict)])).toEqual([
      [`${registry}/shop/api:1.0`, ["unknown", "unknown"]],
    ]);
    expect(report.coverage.images).toEqual({ checked: 1, unknown: 1 });
    const warnings = r.stderr.split("\n").filter((l) => l.includes("could not verify"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${registry}/shop/api:1.0 (`);
    // An unverified image alone does not fail the gate (the cluster has nothing else to report).
    expect(report.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("--fail-on-unknown fails the gate on it", async () => {
    const r = await scan("--fail-on-unknown", "-o", "json");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not verify");
  });

  it("--quiet keeps stderr free of the warnings", async () => {
    const r = await scan("--quiet", "-o", "json");
    expect(r.stderr).toBe("");
  });
});
