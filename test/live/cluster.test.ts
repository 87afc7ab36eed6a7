// Opt-in: `scan` against a real cluster (kind, k3d, any cluster you can read). Run with
//   KUBECONFIG=/path/to/kubeconfig npm run test:live
// It is not part of scripts/test.sh (this machine has no cluster). Asked for without KUBECONFIG it
// fails: it never skips itself into green.
//
// The scan talks to the cluster through a recording proxy started here, in front of the real
// `kubectl proxy` (which authenticates as the kubeconfig's user), so the test sees every request the
// scan makes and can assert it only read. Every finding's subject is then looked up with the real
// kubectl against the cluster itself. Only facts that hold on any cluster are asserted.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ROOT, type RunResult, run } from "../cli/run.js";

const KUBECONFIG = process.env.KUBECONFIG;

interface Recorded {
  method: string;
  url: string;
}

interface Report {
  nodes: { name: string; runtimeClass: string; kubeletVersion: string }[];
  findings: { ruleId: string; subject: { kind: string; namespace?: string; name: string } }[];
  coverage: { objects: number; errors: { source: string; reason: string }[] };
}

let dir: string;
let kubectlProxy: ChildProcess | undefined;
let recorder: Server | undefined;
const recorded: Recorded[] = [];
let result: RunResult;
let report: Report;

/** `kubectl proxy` on a port from the OS; resolves with its address once it serves. */
function startKubectlProxy(
  kubectl: string,
  kubeconfig: string,
): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(kubectl, ["proxy", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfig], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /Starting to serve on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ proc, url: `http://${m[1]}` });
    });
    proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    proc.on("error", reject);
    proc.on("exit", (code) => reject(new Error(`kubectl proxy exited (${code}): ${err.trim()}`)));
  });
}

/** An HTTP proxy on 127.0.0.1 that records each request's method and URL and forwards it upstream. */
function startRecorder(upstream: string): Promise<{ server: Server; url: string }> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    recorded.push({ method: req.method ?? "", url: req.url ?? "" });
    const fwd = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(fwd);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    }),
  );
}

function kubectlGet(kubectl: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(kubectl, ["get", ...args, "-o", "name"], { env: { ...process.env } }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

beforeAll(async () => {
  if (!KUBECONFIG)
    throw new Error(
      "the live suite needs KUBECONFIG naming the kubeconfig of a cluster to scan " +
        "(kind: `kind get kubeconfig --name NAME > kc`; k3d: `k3d kubeconfig get NAME > kc`); it never skips",
    );
  if (!existsSync(join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build` first");
  const kubectl = inject("kubectl");
  const up = await startKubectlProxy(kubectl, KUBECONFIG);
  kubectlProxy = up.proc;
  const rec = await startRecorder(up.url);
  recorder = rec.server;
  dir = mkdtempSync(join(tmpdir(), "live-scan-"));
  const kubeconfig = join(dir, "kubeconfig");
  // kubectl proxy adds the credentials: the scan's kubeconfig has none. client-node refuses an http
  // server unless the cluster entry skips TLS verification.
  writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: live, cluster: {server: "${rec.url}", insecure-skip-tls-verify: true}}]`,
      "contexts: [{name: live, context: {cluster: live, user: live}}]",
      "current-context: live",
      "users: [{name: live, user: {}}]",
      "",
    ].join("\n"),
  );
  result = await run(["scan", "--kubeconfig", kubeconfig, "-o", "json"], { cwd: dir });
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`scan printed no JSON report (exit ${result.code}): ${result.stderr}`);
  }
}, 600_000);

afterAll(async () => {
  kubectlProxy?.removeAllListeners("exit");
  kubectlProxy?.kill();
  await new Promise<void>((resolve) => (recorder ? recorder.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("scan against the cluster of KUBECONFIG", () => {
  it("exits 0 (gate passed) or 1 (gate failed), never 2, with a JSON report", () => {
    expect([0, 1], result.stderr).toContain(result.code);
    expect(report.coverage.objects).toBeGreaterThan(0);
  });

  it("reports every node with a runtime class", () => {
    expect(report.nodes.length).toBeGreaterThan(0);
    for (const n of report.nodes) {
      expect(n.name).not.toBe("");
      expect(["dockershim", "cri-dockerd", "containerd", "cri-o", "unknown"]).toContain(n.runtimeClass);
      expect(n.kubeletVersion).toMatch(/^v?\d+\.\d+/);
    }
  });

  it("could read the core lists: no coverage error about nodes, pods or namespaces", () => {
    const core = report.coverage.errors.filter((e) =>
      /\b(nodes|pods|namespaces)\b/i.test(`${e.source} ${e.reason}`),
    );
    expect(core).toEqual([]);
  });

  it("reports findings only on objects that exist in the cluster", async () => {
    const subjects = new Map<string, string[]>();
    for (const f of report.findings) {
      if (f.subject.kind === "Image") continue;
      const args = [
        f.subject.kind,
        f.subject.name,
        ...(f.subject.namespace ? ["-n", f.subject.namespace] : []),
      ];
      subjects.set(args.join(" "), args);
    }
    const missing: string[] = [];
    for (const [key, args] of subjects) {
      const r = await kubectlGet(inject("kubectl"), args);
      if (r.code !== 0) missing.push(`${key}: ${r.stderr.trim()}`);
    }
    expect(missing).toEqual([]);
  });

  it("only read: every request a GET, and no Secret listed or watched", () => {
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.filter((r) => r.method !== "GET")).toEqual([]);
    // A list or watch of secrets is a path that ends at the resource (…/secrets or …/secrets?…).
    expect(recorded.filter((r) => /\/secrets(\?|$)/.test(r.url))).toEqual([]);
    expect(recorded.filter((r) => /\/secrets\//.test(r.url) && /[?&]watch=(1|true)/.test(r.url))).toEqual([]);
  });
});
