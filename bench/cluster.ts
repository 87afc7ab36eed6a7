/**
 * bench/cluster: how fast and how lean the live cluster audit is on a large cluster, against the floor
 * and against kubectl, measured in the same run. A command, not a test: it prints figures and asserts
 * nothing (exit 0 unless it could not run).
 *
 *   npm run bench:cluster                 # = npm run build && node --import ./bench/lib/ts-hooks.ts bench/cluster.ts
 *   npm run bench:cluster -- --pods 5000 --deployments 500 --nodes 100 --runs 2 --profile
 *
 * Setup: the fake API server (test/fakeapi/server.ts) in a process of its own, holding what
 * test/fakeapi/generate.ts makes: by default 100 namespaces, 1,000 nodes and 5,000 Deployments, each
 * with its ReplicaSet and 10 pods (50,000 pods), shaped like a real API server's objects (managedFields,
 * the last-applied annotation, pod status, node images). One Deployment in 50 mounts the Docker
 * socket, so the report is not empty.
 *
 * Timed, one after the other (never in parallel: the machine has 2 cores):
 *  (a) scan: the built CLI, `node bin/kube-runtime-audit.js scan --no-images -o json` with a
 *      kubeconfig pointing at the fake server, wall time and peak RSS (GNU time's %M);
 *  (b) the floor: every list the scan read (taken from the server's request log of run (a)), as a raw
 *      sequential paged GET (`limit=500` + `continue`) with JSON.parse of each page, in this process;
 *  (c) `kubectl get pods -A --chunk-size=500 -o json > /dev/null` with the real kubectl 1.35
 *      (scripts/kubetools.sh install), wall time and peak RSS.
 * Goals (issue #6): scan ≤ 1.3x the floor, scan peak RSS ≤ 300 MiB.
 * With --profile, one more scan runs with `--cpu-prof`; the top functions by self time are printed.
 * --scan-node-flags passes Node flags to the scan process (e.g. a heap cap, to tell the live heap from
 * what V8 keeps because nothing made it collect); --no-kubectl skips (c).
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { RequestLogEntry } from "../test/fakeapi/server.js";
import type { GeneratedCounts } from "./lib/cluster-server.js";

const { values } = parseArgs({
  options: {
    namespaces: { type: "string", default: "100" },
    deployments: { type: "string", default: "5000" },
    pods: { type: "string", default: "50000" },
    nodes: { type: "string", default: "1000" },
    runs: { type: "string", default: "1" },
    profile: { type: "boolean", default: false },
    kubectl: { type: "boolean", default: true },
    "keep-output": { type: "boolean", default: false },
    /** Extra Node flags for the scan process, e.g. "--max-old-space-size=160" (space-separated). */
    "scan-node-flags": { type: "string", default: "" },
    /** Time readInventory + the workload rules (bench/lib/inventory-scan.ts) instead of the CLI's scan. */
    direct: { type: "boolean", default: false },
  },
  allowNegative: true,
});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = join(ROOT, "bin/kube-runtime-audit.js");
const TIME = "/usr/bin/time";
const MiB = 1024 * 1024;
const deployments = Number(values.deployments);
const podsPerDeployment = Math.max(1, Math.round(Number(values.pods) / Math.max(1, deployments)));
const runs = Math.max(1, Number(values.runs));

if (!existsSync(join(ROOT, "dist/cli/main.js")))
  throw new Error("dist/ is missing: run `npm run build` first");
if (!existsSync(TIME)) throw new Error(`${TIME} is missing (Debian package "time"): it measures peak RSS`);

const work = mkdtempSync(join(tmpdir(), "kra-bench-cluster-"));
const log = (s: string) => process.stderr.write(`${s}\n`);

// --- the fake API server, in its own process ----------------------------------------------------

interface Ready {
  type: "ready";
  url: string;
  kubeconfig: string;
  counts: GeneratedCounts;
}

function startServer(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(
    join(ROOT, "bench/lib/cluster-server.ts"),
    [
      "--namespaces",
      String(values.namespaces),
      "--deployments",
      String(deployments),
      "--pods-per-deployment",
      String(podsPerDeployment),
      "--nodes",
      String(values.nodes),
    ],
    {
      execArgv: ["--import", join(ROOT, "bench/lib/ts-hooks.ts"), "--max-old-space-size=8192"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("message", (m: Ready) => resolve({ child, ready: m }));
    child.once("exit", (code) =>
      reject(new Error(`the fake API server exited (${code}) before it was ready`)),
    );
  });
}

function ask<T>(child: ChildProcess, cmd: string, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off("message", on);
      resolve(m as T);
    };
    child.on("message", on);
    child.send({ cmd });
  });
}

// --- timing a child process ---------------------------------------------------------------------

interface Timed {
  wallMs: number;
  /** Peak resident set size (GNU time %M, KiB -> bytes). */
  rssBytes: number;
  /** User + system CPU time of the process (GNU time %U + %S): robust where wall time is not, on a busy machine. */
  cpuMs: number;
  code: number;
  stdoutBytes: number;
}

/** Runs a command under GNU time (peak RSS to a file), stdout to a file or /dev/null. */
function timed(cmd: string, args: string[], stdoutFile?: string): Promise<Timed> {
  const rssFile = join(work, `rss-${Math.random().toString(36).slice(2)}`);
  const out = stdoutFile ?? "/dev/null";
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // A shell only for the redirection, so kubectl writes to /dev/null as a user's would.
    const child = spawn(
      "sh",
      ["-c", `exec "$@" > ${JSON.stringify(out)}`, "sh", TIME, "-o", rssFile, "-f", "%M %U %S", cmd, ...args],
      { stdio: ["ignore", "inherit", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < 20_000) stderr += c.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      // GNU time writes "Command exited with non-zero status N" first when the command fails.
      const [kib = 0, user = 0, sys = 0] = (readFileSync(rssFile, "utf8").trim().split("\n").pop() ?? "")
        .split(" ")
        .map(Number);
      rmSync(rssFile, { force: true });
      if (code !== 0 && code !== 1) {
        reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${stderr.slice(-3000)}`));
        return;
      }
      const stdoutBytes = stdoutFile ? statSync(stdoutFile).size : 0;
      resolve({ wallMs, rssBytes: kib * 1024, cpuMs: (user + sys) * 1000, code: code ?? 0, stdoutBytes });
    });
  });
}

// --- the floor: raw sequential paged GET + JSON.parse ------------------------------------------

interface ListRead {
  path: string;
  query: Record<string, string>;
  accept: string;
}

/** The distinct lists of a request log (the first page of each; later pages carry `continue`). */
function listsOf(entries: readonly RequestLogEntry[]): ListRead[] {
  const out = new Map<string, ListRead>();
  for (const e of entries) {
    if (e.verb !== "list" || e.query.continue !== undefined) continue;
    const query: Record<string, string> = {};
    for (const k of ["labelSelector", "fieldSelector"]) {
      const v = e.query[k];
      if (v !== undefined) query[k] = v;
    }
    out.set(`${e.path}?${new URLSearchParams(query)}|${e.accept}`, { path: e.path, query, accept: e.accept });
  }
  return [...out.values()];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: URL, accept: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { Accept: accept } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
        );
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

async function floor(
  server: string,
  lists: readonly ListRead[],
): Promise<{ wallMs: number; cpuMs: number; items: number; bytes: number; pages: number }> {
  let items = 0;
  let bytes = 0;
  let pages = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const l of lists) {
    let cont: string | undefined;
    do {
      const url = new URL(server + l.path);
      url.searchParams.set("limit", "500");
      for (const [k, v] of Object.entries(l.query)) url.searchParams.set(k, v);
      if (cont) url.searchParams.set("continue", cont);
      const body = await get(url, l.accept);
      bytes += body.length;
      pages++;
      const doc = JSON.parse(body.toString("utf8")) as {
        items?: unknown[];
        metadata?: { continue?: string };
      };
      items += doc.items?.length ?? 0;
      cont = doc.metadata?.continue || undefined;
    } while (cont);
  }
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, items, bytes, pages };
}

// --- CPU profile: self time by function -----------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function topFunctions(file: string, n: number): { rows: string[]; byFile: string[] } {
  const prof = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const cf = node.callFrame;
    const where = cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/");
    const key = `${cf.functionName || "(anonymous)"}  ${where ? `${where}:${cf.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const fileKey = where ? where.replace(/:\d+$/, "") : cf.functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + dt);
  });
  const fmt = ([k, us]: [string, number]) =>
    `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`;
  return {
    rows: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(fmt),
    byFile: [...files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(fmt),
  };
}

// --- the run ---------------------------------------------------------------------------------------

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (b: number) => `${(b / MiB).toFixed(0)} MiB`;

async function main(): Promise<void> {
  log(
    `generating ${values.namespaces} namespaces, ${values.nodes} nodes, ${deployments} Deployments × ${podsPerDeployment} pods …`,
  );
  const t0 = performance.now();
  const { child, ready } = await startServer();
  log(
    `fake API server at ${ready.url} ready in ${fmtS(performance.now() - t0)}: ${JSON.stringify(ready.counts)}`,
  );
  const kubeconfig = join(work, "kubeconfig");
  writeFileSync(kubeconfig, ready.kubeconfig);

  let kubectl: string | undefined;
  if (values.kubectl) {
    const bin = execFileSync("bash", [join(ROOT, "scripts/kubetools.sh"), "install"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    kubectl = join(bin, "kubectl");
  }

  // The program's help lists its commands (`scan --help` would print the top-level help when absent).
  const help = execFileSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
  const hasScan = /^\s+scan\b/m.test(help);
  const direct = values.direct || !hasScan;
  if (direct && !values.direct)
    log(
      "the built CLI has no `scan` command: timing readInventory + the workload rules (bench/lib/inventory-scan.ts)",
    );
  const nodeFlags = String(values["scan-node-flags"]).split(" ").filter(Boolean);
  const scanArgs = direct
    ? [
        ...nodeFlags,
        "--import",
        join(ROOT, "bench/lib/ts-hooks.ts"),
        join(ROOT, "bench/lib/inventory-scan.ts"),
        kubeconfig,
      ]
    : [...nodeFlags, BIN, "scan", "--no-images", "-o", "json", "--kubeconfig", kubeconfig];
  interface Run {
    scan: Timed;
    floor: { wallMs: number; cpuMs: number };
    /** CPU the fake API server spent answering the scan, and the floor. */
    serverCpuMs: { scan: number; floor: number };
    /** `node bin/kube-runtime-audit.js --version`: process start and module loading, no work. */
    startup: Timed;
    kubectl?: Timed;
    load: number;
  }
  const serverCpu = async () => (await ask<{ cpuMs: number }>(child, "cpu", "cpu")).cpuMs;
  const results: Run[] = [];
  let lists: ListRead[] = [];
  let requestSummary = "";
  for (let run = 1; run <= runs; run++) {
    const load = loadavg()[0] ?? 0;
    const startup = await timed(process.execPath, [BIN, "--version"]);
    await ask(child, "clear", "cleared");
    const out = join(work, "scan.json");
    log(`run ${run}/${runs} (load average ${load.toFixed(1)}): scan …`);
    const s0 = await serverCpu();
    const scan = await timed(process.execPath, scanArgs, out);
    const s1 = await serverCpu();
    const report = JSON.parse(readFileSync(out, "utf8")) as { findings?: unknown[] };
    const { log: entries } = await ask<{ log: RequestLogEntry[] }>(child, "log", "log");
    if (entries.some((e) => e.method !== "GET"))
      throw new Error("the scan sent a request other than GET to the fake API server");
    lists = listsOf(entries);
    const verbs = new Map<string, number>();
    for (const e of entries) verbs.set(e.verb, (verbs.get(e.verb) ?? 0) + 1);
    requestSummary = `${entries.length} requests (${[...verbs].map(([v, c]) => `${v} ${c}`).join(", ")}), ${lists.length} distinct lists, ${report.findings?.length ?? 0} findings, ${(scan.stdoutBytes / 1024).toFixed(0)} KiB of JSON`;
    log(
      `  scan ${fmtS(scan.wallMs)} (CPU ${fmtS(scan.cpuMs)}), peak RSS ${fmtMiB(scan.rssBytes)}; ${requestSummary}`,
    );
    log(`run ${run}/${runs}: floor over ${lists.length} lists …`);
    const f = await floor(ready.url, lists);
    const s2 = await serverCpu();
    log(
      `  floor ${fmtS(f.wallMs)} (CPU ${fmtS(f.cpuMs)}): ${f.pages} pages, ${f.items} items, ${(f.bytes / MiB).toFixed(0)} MiB`,
    );
    const r: Run = { scan, floor: f, serverCpuMs: { scan: s1 - s0, floor: s2 - s1 }, startup, load };
    if (kubectl) {
      log(`run ${run}/${runs}: kubectl get pods -A --chunk-size=500 -o json …`);
      r.kubectl = await timed(kubectl, [
        "--kubeconfig",
        kubeconfig,
        "get",
        "pods",
        "-A",
        "--chunk-size=500",
        "-o",
        "json",
      ]);
      log(`  kubectl ${fmtS(r.kubectl.wallMs)}, peak RSS ${fmtMiB(r.kubectl.rssBytes)}`);
    }
    results.push(r);
  }

  let profile: ReturnType<typeof topFunctions> | undefined;
  if (values.profile) {
    log("profiled scan (--cpu-prof) …");
    const dir = join(work, "prof");
    await timed(
      process.execPath,
      ["--cpu-prof", "--cpu-prof-dir", dir, ...scanArgs],
      join(work, "scan-prof.json"),
    );
    // bin/ may hand over to a child Node (the young generation cap), which inherits --cpu-prof: the
    // largest profile is the one that did the work.
    const file = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
    if (file) profile = topFunctions(join(dir, file), 15);
  }

  await ask(child, "clear", "cleared");
  child.send({ cmd: "stop" });

  const c = ready.counts;
  const lines = [
    "",
    `bench/cluster: ${c.Pod ?? 0} pods in ${c.Deployment ?? 0} Deployments (+${c.ReplicaSet ?? 0} ReplicaSets), ${c.Namespace ?? 0} namespaces, ${c.Node ?? 0} nodes; Node ${process.versions.node}, ${cpus().length} cores`,
    `scan${direct ? " (direct: readInventory + workload rules, not the CLI)" : ""}${nodeFlags.length ? ` with node ${nodeFlags.join(" ")}` : ""} requests: ${requestSummary}`,
    "",
    "wall time (CPU time of the client process; the server's CPU in its own process):",
    "run  load  scan              floor             scan/floor  startup           scan RSS  kubectl   kubectl RSS",
  ];
  const cell = (wall: number, cpu: number) => `${fmtS(wall)} (${fmtS(cpu)})`.padEnd(17);
  results.forEach((r, i) => {
    lines.push(
      [
        String(i + 1).padEnd(4),
        r.load.toFixed(1).padEnd(5),
        cell(r.scan.wallMs, r.scan.cpuMs),
        cell(r.floor.wallMs, r.floor.cpuMs),
        `${(r.scan.wallMs / r.floor.wallMs).toFixed(2)}x`.padEnd(11),
        `${fmtS(r.startup.wallMs)} (${fmtS(r.startup.cpuMs)})`.padEnd(17),
        fmtMiB(r.scan.rssBytes).padEnd(9),
        (r.kubectl ? fmtS(r.kubectl.wallMs) : "-").padEnd(9),
        r.kubectl ? fmtMiB(r.kubectl.rssBytes) : "-",
      ].join(" "),
    );
    lines.push(
      `     server CPU: ${fmtS(r.serverCpuMs.scan)} answering the scan, ${fmtS(r.serverCpuMs.floor)} answering the floor`,
    );
  });
  const ratioOf = (r: Run) => r.scan.wallMs / r.floor.wallMs;
  const best = results.reduce((a, b) => (ratioOf(b) < ratioOf(a) ? b : a));
  const ratio = ratioOf(best);
  const rss = Math.max(...results.map((r) => r.scan.rssBytes));
  lines.push(
    "",
    `goal scan/floor ≤ 1.30x: ${ratio.toFixed(2)}x (best run) — ${ratio <= 1.3 ? "met" : "MISSED"}`,
    `goal scan peak RSS ≤ 300 MiB: ${fmtMiB(rss)} (worst run) — ${rss <= 300 * MiB ? "met" : "MISSED"}`,
  );
  if (profile) {
    lines.push("", "profiled scan, top functions by self time:", ...profile.rows);
    lines.push("", "by file:", ...profile.byFile);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (values["keep-output"]) log(`outputs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/cluster: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
