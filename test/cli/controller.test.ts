/**
 * `controller` as users start it: its flags are listed, bad ones are refused with exit 2 and a
 * message naming the flag, and a cluster it cannot reach is one line and exit 2. The running
 * controller against the fake API server is in test/kube/controller.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./run.js";

describe("controller command", () => {
  it("lists controller-runtime's flags and scan's", async () => {
    const r = await run(["controller", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--metrics-bind-address",
      "--health-probe-bind-address",
      "--leader-elect",
      "--leader-elect-namespace",
      "--lease-name",
      "--kubeconfig",
      "--context",
      "--target-k8s",
      "--target-runtime",
      "--no-images",
      "--fail-on",
      "--report-api",
      // scan's flags (issue #7: controller and scan --publish take the same flags as scan).
      "--config",
      "--ignore",
      "--platform",
      "--as-of",
      "--kubelet-config",
      "--no-secrets",
      "--registry-config",
      "--insecure-registry",
      "--cache-dir",
      "--registry-timeout",
      "--registry-concurrency",
      "--image-cache-ttl",
      "--event-qps",
      "--event-burst",
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it("refuses a bad bind address with exit 2", async () => {
    const r = await run(["controller", "--health-probe-bind-address", "localhost"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--health-probe-bind-address must be HOST:PORT");
  });

  it("refuses bad values of scan's flags before connecting, naming the flag", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kra-ctl-"));
    const cfg = join(dir, "bad.yaml");
    writeFileSync(cfg, "rules:\n  docker-socket-mount: loud\n");
    try {
      for (const [args, message] of [
        [["--image-cache-ttl", "forever"], "--image-cache-ttl must be a positive duration"],
        [["--event-qps", "0"], "--event-qps must be a positive number"],
        [["--event-burst", "1.5"], "--event-burst must be a whole number"],
        [["--as-of", "yesterday"], "--as-of"],
        [["--ignore", "W999"], '--ignore: unknown rule "W999"'],
        [["--fail-on", "loud"], "--fail-on must be one of"],
        [
          ["--target-runtime", "containerd@1.0"],
          "--target-runtime: containerd@1.0: containerd 1.0 is not covered",
        ],
        [["--registry-timeout", "-1"], "--registry-timeout must be a positive number"],
        [["--config", cfg], "bad.yaml"],
      ] as const) {
        const r = await run(["controller", ...args]);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stderr, args.join(" ")).toContain(message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown --report-api", async () => {
    const r = await run(["controller", "--report-api", "kyverno"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("auto, wgpolicyk8s, openreports");
  });

  it("stops with exit 2 and one line when the cluster cannot be reached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kra-ctl-"));
    const kc = join(dir, "kubeconfig");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    writeFileSync(
      kc,
      [
        "apiVersion: v1",
        "kind: Config",
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        "contexts: [{name: c, context: {cluster: c, user: u}}]",
        "current-context: c",
        "users: [{name: u, user: {}}]",
        "",
      ].join("\n"),
    );
    try {
      const r = await run([
        "controller",
        "--kubeconfig",
        kc,
        "--metrics-bind-address",
        "0",
        "--health-probe-bind-address",
        "0",
        // The flags the chart passes to both modes are accepted (charts/kube-runtime-audit/templates/_helpers.tpl).
        "--registry-concurrency=16",
        "--registry-timeout=15",
        "--cache-dir=/var/cache/kube-runtime-audit",
        "--insecure-registry=registry.local",
        "--kubelet-config",
        "--report-api=auto",
        "--log-format=json",
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/controller: cannot reach the cluster at http:\/\/127\.0\.0\.1:1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
