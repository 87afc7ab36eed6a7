/**
 * bench/controller: the controller at 50,000 pods. A command, not a test: it prints figures and
 * asserts nothing (exit 0 unless it could not run).
 *
 *   npm run bench:controller                  # = npm run build && node --import ./bench/lib/ts-hooks.ts bench/controller.ts
 *   npm run bench:controller -- --changes 40 --node-options ""   # default: the chart's nodeOptions
 *
 * Setup: the fake API server (test/fakeapi, writable, with the PolicyReport CRDs) holding the
 * generated cluster of test/fakeapi/generate.ts: 100 namespaces × 50 Deployments × 10 pods (50,000
 * pods, 5,000 Deployments with their ReplicaSets) and 1,000 nodes; one Deployment in 50 mounts the
 * Docker socket, so every namespace has a report. The built CLI's `controller` runs as a child
 * process, as in the cluster.
 * Figures (issue #7 goals: p99 ≤ 1 s, idle CPU ~0, peak RSS ≤ 300 MiB):
 * - startup: spawn to /readyz 200, and to every report written;
 * - latency: a Deployment changed (the socket mount added) to its namespace's PolicyReport updated,
 *   one change at a time, p50 / p99 (the debounce window, 500 ms, is part of it by design);
 * - CPU while idle: the child's user+system CPU over a quiet window, from /proc/<pid>/stat;
 * - peak RSS: VmHWM of /proc/<pid>/status at the end.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCluster } from "../test/fakeapi/generate.js";
import { FakeApiServer } from "../test/fakeapi/server.js";

type Obj = Record<string, unknown>;
const ROOT = join(import.meta.dirname, "..");
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CHANGES = arg("changes", 40);
const IDLE_S = arg("idle", 10);
const NAMESPACES = 100;
const NODE_OPTIONS = (() => {
  const i = process.argv.indexOf("--node-options");
  return i > 0 ? (process.argv[i + 1] ?? "") : "--max-old-space-size=256 --max-semi-space-size=8";
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (USER_HZ = 100)
};
const hwmMiB = (pid: number) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

async function main() {
  const t0 = performance.now();
  const server = await FakeApiServer.start({
    writable: true,
    fixtures: [join(ROOT, "test/fixtures/cluster/policyreport-crds.yaml")],
  });
  let pods = 0;
  for (const o of generateCluster({
    namespaces: NAMESPACES,
    deploymentsPerNamespace: 50,
    podsPerDeployment: 10,
    nodes: 1000,
  })) {
    if (o.kind === "Pod") pods++;
    server.add(o);
  }
  server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "audit" } });
  console.log(`fake API server: ${pods} pods loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const dir = mkdtempSync(join(tmpdir(), "kra-bench-ctl-"));
  const kc = join(dir, "kubeconfig");
  writeFileSync(kc, server.kubeconfig());
  const rd = server.resourceFor("wgpolicyk8s.io/v1alpha2", "PolicyReport");
  if (!rd) throw new Error("PolicyReport not served");
  const rvOf = (ns: string) =>
    ((server.stored(rd, ns, "kube-runtime-audit")?.metadata as Obj | undefined)?.resourceVersion as
      | string
      | undefined) ?? "";

  let stderr = "";
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/kube-runtime-audit.js"),
      "controller",
      "--kubeconfig",
      kc,
      "--metrics-bind-address",
      "0",
      "--health-probe-bind-address",
      "127.0.0.1:0",
      "--log-format",
      "text",
      // The generated images name registries that do not exist here; the cache and the registry
      // client are measured by bench/images.
      "--no-images",
    ],
    // The chart's `nodeOptions` (V8 heap capped at 256 MiB, 8 MiB semi-spaces): measured as it runs in the cluster.
    {
      env: { ...process.env, POD_NAMESPACE: "audit", NODE_OPTIONS: NODE_OPTIONS },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const pid = child.pid as number;
  try {
    let ready = Number.NaN;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`controller exited ${child.exitCode}:\n${stderr}`);
      const u = /probes on (http:\/\/[0-9.:]+)/.exec(stderr)?.[1];
      if (u) {
        const ok = await fetch(`${u}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) {
          ready = performance.now() - start;
          break;
        }
      }
      await sleep(50);
    }
    const nsName = (i: number) => `ns-${String(i).padStart(3, "0")}`;
    for (;;) {
      let n = 0;
      for (let i = 0; i < NAMESPACES; i++) if (rvOf(nsName(i))) n++;
      if (n === NAMESPACES) break;
      await sleep(50);
    }
    const published = performance.now() - start;
    console.log(
      `controller: ready after ${(ready / 1000).toFixed(1)} s, all ${NAMESPACES} reports written after ${(published / 1000).toFixed(1)} s`,
    );
    // The first sync's Events go out at the event rate (--event-qps 5, burst 25) after the reports:
    // wait until no Event was written for 3 s, so the idle window measures idling, not that queue.
    const eventWrites = () =>
      server.log.filter((e) => e.resource === "events" && e.verb !== "get" && e.verb !== "list").length;
    let lastEvents = -1;
    for (;;) {
      const n = eventWrites();
      if (n === lastEvents) break;
      lastEvents = n;
      await sleep(3000);
    }
    console.log(
      `controller: ${lastEvents} Event writes of the first sync done after ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );

    // Idle: nothing changes; the controller should only hold its watches open.
    const before = ticks(pid);
    await sleep(IDLE_S * 1000);
    const idleCpu = (ticks(pid) - before) / 100 / IDLE_S;

    const lat: number[] = [];
    for (let j = 0; j < CHANGES; j++) {
      const ns = nsName(j % NAMESPACES);
      const app = `app-${1 + Math.floor(j / NAMESPACES)}`;
      const rv0 = rvOf(ns);
      const t = performance.now();
      server.add({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: app, namespace: ns, labels: { app } },
        spec: {
          replicas: 10,
          selector: { matchLabels: { app } },
          template: {
            metadata: { labels: { app } },
            spec: {
              containers: [
                {
                  name: app,
                  image: `registry.example.com/team/${app}:2`,
                  volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
                },
              ],
              volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
            },
          },
        },
      });
      const deadline = t + 30_000;
      while (rvOf(ns) === rv0 && performance.now() < deadline) await new Promise((r) => setImmediate(r));
      if (rvOf(ns) === rv0) throw new Error(`no report update for ${ns} within 30 s`);
      lat.push(performance.now() - t);
      await sleep(200);
    }
    const rss = hwmMiB(pid);
    console.log(
      `latency, change -> report updated (${CHANGES} changes): p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`,
    );
    console.log(`CPU while idle (${IDLE_S} s): ${(idleCpu * 100).toFixed(2)} % of one core`);
    console.log(`peak RSS of the controller: ${rss.toFixed(0)} MiB (NODE_OPTIONS="${NODE_OPTIONS}")`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
