// The kubectl plugin end to end: the built CLI installed as `kubectl-runtime_audit` on PATH and run
// by the real kubectl 1.35 as `kubectl runtime-audit …` against the fake API server holding the
// fixture cluster (test/fixtures/cluster/audit.yaml, whose comments list the expected findings).
// Needs `npm run build` (as the cli suite).
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { FakeApiServer } from "../fakeapi/server.js";
import { Kubectl } from "./kubectl.js";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURE = join(ROOT, "test/fixtures/cluster/audit.yaml");

let server: FakeApiServer;
let kubectl: Kubectl;
let pathEnv: string;

interface Report {
  findings: {
    ruleId: string;
    subject: { kind: string; namespace?: string; name: string; container?: string };
  }[];
  target: { kubernetes: string; platforms: string[] };
  coverage: { errors: { source: string; reason: string }[] };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build` first");
  server = await FakeApiServer.start({ fixtures: [FIXTURE] });
  kubectl = new Kubectl(inject("kubectl"), server);
  // As npm installs the second bin name: a symlink to bin/kube-runtime-audit.js.
  const bin = join(kubectl.home, "bin");
  mkdirSync(bin);
  symlinkSync(join(ROOT, "bin/kube-runtime-audit.js"), join(bin, "kubectl-runtime_audit"));
  pathEnv = [bin, dirname(process.execPath), "/usr/bin", "/bin"].join(":");
});
afterAll(async () => {
  await server.close();
  kubectl.cleanup();
});
beforeEach(() => {
  server.log.length = 0;
  server.denials.length = 0;
  server.faults.length = 0;
});

function plugin(args: string[], env: Record<string, string> = {}) {
  // kubectl refuses flags before a plugin's name: everything goes after it, to the plugin.
  return kubectl.run(["runtime-audit", ...args], { PATH: pathEnv, NO_COLOR: "1", ...env }, true);
}

// Workload findings only: node findings (judged as of a day) are checked with --as-of in
// fixture-cluster.test.ts.
const rows = (r: Report) =>
  r.findings
    .filter((f) => f.subject.kind !== "Node")
    .map(
      (f) =>
        `${f.ruleId} ${f.subject.kind}/${f.subject.namespace ?? ""}/${f.subject.name}[${f.subject.container ?? ""}]`,
    )
    .sort();

/** Every request of the run was a read, and no secret was listed or watched (or read at all, with --no-images). */
function assertReadOnly(opts: { secretsRead: boolean }) {
  expect(server.log.length).toBeGreaterThan(0);
  expect(server.log.filter((e) => e.method !== "GET")).toEqual([]);
  const secrets = server.log.filter((e) => e.resource === "secrets");
  expect(secrets.filter((e) => e.verb !== "get")).toEqual([]);
  if (!opts.secretsRead) expect(secrets).toEqual([]);
}

describe("kubectl runtime-audit (the plugin through the real kubectl)", () => {
  it("audits the fixture cluster: each finding once, on its top owner", async () => {
    const r = await plugin(["--kubeconfig", kubectl.kubeconfig, "--no-images", "-o", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1); // critical findings, --fail-on high
    const report = JSON.parse(r.stdout) as Report;
    expect(rows(report)).toEqual([
      "W001 DaemonSet/kube-system/agent[agent]",
      "W001 Deployment/prod/logger[shipper]",
      "W001 Pod/legacy/orphan[c]",
      "W001 Pod/legacy/stray-5c4b[c]",
      "W002 Pod/kube-system/etcd-node-1[etcd]",
      "W006 RedisCluster/prod/cache[redis]",
      "W008 CronJob/ci/builder[build]",
    ]);
    // Defaults from the cluster: the minor after the newest kubelet (1.34), the nodes' platforms.
    expect(report.target.kubernetes).toBe("1.35");
    expect(report.target.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(report.coverage.errors).toEqual([]);
    assertReadOnly({ secretsRead: false });
    // Paged lists, the CgroupV1 events by field selector, owner metadata by a metadata-only get.
    expect(server.log.filter((e) => e.verb === "list").every((e) => e.query.limit === "500")).toBe(true);
    expect(server.log.find((e) => e.resource === "events")?.query.fieldSelector).toBe("reason=CgroupV1");
    const cr = server.log.find((e) => e.resource === "redisclusters");
    expect(cr).toMatchObject({ verb: "get", name: "cache" });
    expect(cr?.accept).toContain("as=PartialObjectMetadata");
  });

  it("reads KUBECONFIG like kubectl, and -n limits the namespaces", async () => {
    const r = await plugin(["-n", "prod", "--no-images", "-o", "json"], { KUBECONFIG: kubectl.kubeconfig });
    expect(r.code).toBe(1);
    expect(rows(JSON.parse(r.stdout) as Report)).toEqual([
      "W001 Deployment/prod/logger[shipper]",
      "W006 RedisCluster/prod/cache[redis]",
    ]);
    const namespaces = new Set(server.log.filter((e) => e.resource === "pods").map((e) => e.namespace));
    expect([...namespaces]).toEqual(["prod"]);
    assertReadOnly({ secretsRead: false });
  });

  it("gives a partial report naming the missing permission on a 403, and still finds the top owner", async () => {
    server.denials.push({ verb: "list", resource: "cronjobs", group: "batch" });
    const r = await plugin(["--kubeconfig", kubectl.kubeconfig, "--no-images", "-o", "json"]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.coverage.errors).toEqual([
      { source: "cluster", reason: "missing permission: list cronjobs.batch (cluster-wide)" },
    ]);
    expect(r.stderr).toContain("missing permission: list cronjobs.batch (cluster-wide)");
    // The Job is audited in the CronJob's place, and the finding still lands on the CronJob.
    expect(rows(report)).toContain("W008 CronJob/ci/builder[build]");
  });

  it("no subcommand means scan; the table output carries the summary line", async () => {
    const r = await plugin([
      "--kubeconfig",
      kubectl.kubeconfig,
      "--no-images",
      "--fail-on",
      "none",
      "--as-of",
      "2026-12-03",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("W006 docker-data-dir-mount RedisCluster/prod/cache[redis]");
    expect(r.stdout).toMatch(/^WORKLOADS \(7 findings\)$/m);
    expect(r.stdout).toMatch(
      /^kube-runtime-audit: 2 nodes \(2 containerd\), 2 with findings \(2 high\); 7 workloads with findings \(5 critical, 2 medium\); images not checked; target Kubernetes 1\.35, /m,
    );
  });

  it("an unreachable cluster is one line on stderr and exit 2", async () => {
    const dead = join(kubectl.home, "dead-kubeconfig");
    writeFileSync(dead, server.kubeconfig().replace(server.url, "http://127.0.0.1:1"));
    const r = await plugin(["--kubeconfig", dead, "--no-images"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      'kube-runtime-audit: error: cannot reach the cluster at http://127.0.0.1:1 (context "fake"): ECONNREFUSED\n',
    );
  });

  it("refused credentials are one line and exit 2, without the token", async () => {
    const guarded = await FakeApiServer.start({ fixtures: [FIXTURE], tokens: { right: "auditor" } });
    try {
      const kc = join(kubectl.home, "wrong-token");
      writeFileSync(kc, guarded.kubeconfig({ token: "wrong-secret-token" }));
      const r = await plugin(["--kubeconfig", kc, "--no-images"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^kube-runtime-audit: error: the cluster at http:\/\/127\.0\.0\.1:\d+ \(context "fake"\) refused the credentials \(401 Unauthorized\)\n$/,
      );
      expect(r.stderr).not.toContain("wrong-secret-token");
    } finally {
      await guarded.close();
    }
  });
});
