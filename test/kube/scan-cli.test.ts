// `scan` as a CLI against the fake API server (no kubectl in between): what it says on stderr about
// images it could not verify and the gate on them, and the config file applied as `files` applies it.
// Needs `npm run build` (as the cli suite).
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
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "ci" } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "private" } },
    // A workload that names Secrets three ways: a pull secret, an env value and an envFrom source.
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "regcred", namespace: "private" },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "app-env", namespace: "private" },
      type: "Opaque",
      data: { DOCKER_HOST: Buffer.from("tcp://127.0.0.1:2375").toString("base64") },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "billing", namespace: "private", uid: "00000000-0000-0000-0000-0000000000c1" },
      spec: {
        selector: { matchLabels: { app: "billing" } },
        template: {
          metadata: { labels: { app: "billing" } },
          spec: {
            imagePullSecrets: [{ name: "regcred" }],
            containers: [
              {
                name: "billing",
                image: `${registry}/private/billing:3`,
                env: [
                  { name: "TOKEN", valueFrom: { secretKeyRef: { name: "app-env", key: "DOCKER_HOST" } } },
                ],
                envFrom: [{ secretRef: { name: "app-env" } }],
              },
            ],
          },
        },
      },
    },
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
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "builder", namespace: "ci", uid: "00000000-0000-0000-0000-0000000000b1" },
      spec: {
        selector: { matchLabels: { app: "builder" } },
        template: {
          metadata: { labels: { app: "builder" } },
          spec: {
            containers: [
              {
                name: "build",
                image: "docker:27-cli",
                env: [{ name: "DOCKER_HOST", value: "unix:///var/run/docker.sock" }],
                volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
              },
            ],
            volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
          },
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
    const r = await scan("-n", "shop", "-o", "json");
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
    const r = await scan("-n", "shop", "--fail-on-unknown", "-o", "json");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not verify");
  });

  it("--quiet keeps stderr free of the warnings", async () => {
    const r = await scan("-n", "shop", "--quiet", "-o", "json");
    expect(r.stderr).toBe("");
  });
});

interface ScanReport {
  target: { kubernetes: string; runtimes: string[]; platforms: string[] };
  findings: {
    ruleId: string;
    severity: string;
    subject: { kind: string; name: string };
    suppressed?: boolean;
    suppressionReason?: string;
  }[];
}

describe("scan: the config file, as files applies it", () => {
  const withConfig = async (name: string, text: string, ...args: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const r = await scan("-n", "ci", "--no-images", "--config", file, "-o", "json", ...args);
    const report = JSON.parse(r.stdout) as ScanReport;
    const workload = report.findings
      .filter((f) => f.subject.kind !== "Node")
      .map((f) => `${f.ruleId} ${f.severity}${f.suppressed ? ` suppressed: ${f.suppressionReason}` : ""}`)
      .sort();
    return { r, report, workload };
  };

  it("without a config: the next minor, the nodes' platforms, W001 and W009, and the gate fails", async () => {
    const r = await scan("-n", "ci", "--no-images", "-o", "json");
    const report = JSON.parse(r.stdout) as ScanReport;
    expect(report.target.kubernetes).toBe("1.35");
    expect(report.target.platforms).toEqual(["linux/amd64"]);
    expect(report.findings.map((f) => f.ruleId).sort()).toEqual(["W001", "W009"]);
    expect(r.code).toBe(1);
  });

  it("takes targetK8s, targetRuntimes and platforms from the config instead of the cluster's", async () => {
    const { report } = await withConfig(
      "targets.yaml",
      'targetK8s: "1.33"\ntargetRuntimes: containerd@2.1\nplatforms: [linux/arm64]\n',
    );
    expect(report.target.kubernetes).toBe("1.33");
    expect(report.target.runtimes).toEqual(["containerd@2.1"]);
    expect(report.target.platforms).toEqual(["linux/arm64"]);
  });

  it("a flag still wins over the config", async () => {
    const { report } = await withConfig("flag.yaml", 'targetK8s: "1.33"\n', "--target-k8s", "1.34");
    expect(report.target.kubernetes).toBe("1.34");
  });

  it("applies rule severities, off rules, exemptions with their reason, and failOn", async () => {
    const exempt = await withConfig(
      "policy.yaml",
      [
        "rules:",
        "  W009: off",
        "exemptions:",
        "  - namespaces: [ci]",
        "    kinds: [Deployment]",
        '    names: ["build*"]',
        "    rules: [W001]",
        "    reason: moves to kaniko in OPS-7",
        "",
      ].join("\n"),
    );
    expect(exempt.workload).toEqual(["W001 critical suppressed: moves to kaniko in OPS-7"]);
    expect(exempt.r.code).toBe(0);

    const lowered = await withConfig("severity.yaml", "rules:\n  W001: low\n  W009: low\nfailOn: medium\n");
    expect(lowered.workload).toEqual(["W001 low", "W009 low"]);
    expect(lowered.r.code).toBe(0);

    const strict = await withConfig("failon.yaml", "rules:\n  W001: low\n  W009: low\nfailOn: low\n");
    expect(strict.r.code).toBe(1);
  });

  it("a bad config is exit 2 naming the field, before the cluster is read", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "rules:\n  W999: off\n");
    const r = await scan("--no-images", "--config", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("W999");
    expect(server.log).toEqual([]);
  });

  it("reads .runtime-audit.yaml from the working directory", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "scan-cwd-"));
    try {
      writeFileSync(join(cwd, ".runtime-audit.yaml"), 'targetK8s: "1.32"\n');
      const r = await run(
        ["scan", "--kubeconfig", kubeconfig, "--no-images", "--as-of", "2026-06-01", "-o", "json"],
        {
          cwd,
        },
      );
      expect((JSON.parse(r.stdout) as ScanReport).target.kubernetes).toBe("1.32");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("scan --no-secrets", () => {
  const secretRequests = () => server.log.filter((e) => e.resource === "secrets");

  it("without it, the scan gets the Secrets the workload names, by name only (the control case)", async () => {
    const r = await scan("-n", "private", "-o", "json");
    expect(r.code).not.toBe(2);
    const secrets = secretRequests();
    expect(secrets.map((e) => `${e.method} ${e.verb} ${e.namespace}/${e.name}`).sort()).toEqual(
      expect.arrayContaining(["GET get private/app-env", "GET get private/regcred"]),
    );
    expect(secrets.filter((e) => e.verb !== "get")).toEqual([]);
  });

  it("reads no Secret at all, whatever the workloads name, and makes no write", async () => {
    const r = await scan("-n", "private", "--no-secrets", "-o", "json");
    expect(r.code).not.toBe(2);
    expect(server.log.length).toBeGreaterThan(0);
    expect(secretRequests()).toEqual([]);
    expect(server.log.filter((e) => e.method !== "GET")).toEqual([]);
    // The image is still checked, without the pull secret.
    const report = JSON.parse(r.stdout) as { images: { reference: string }[] };
    expect(report.images.map((i) => i.reference)).toEqual([`${registry}/private/billing:3`]);
  });
});
