#!/usr/bin/env node
// bench/files: how fast `kube-runtime-audit files` audits a large manifest tree, as a ratio to the
// fastest bare YAML parse of the same bytes on npm (js-yaml loadAll), measured in the same run.
//
//   npm run bench:files                 # 20,000 documents
//   npm run bench:files -- --docs 5000 --per-file 50 --runs 5 --real-copies 10
//
// Two corpora: a generated one (mostly clean workloads, the shape of a large service repository) and the
// real chart renders of test/fixtures/real-charts copied --real-copies times (log agents whose ConfigMaps
// the rules read, CI runners; most of their workloads have findings).
//
// Goal (issue #8): audit <= 1.3x the floor with a config file (severities, off, exemptions) loaded
// and applied, memory flat in the number of files.
// A benchmark, not a test: it prints figures and asserts nothing.
//
// Each side runs in its own child process (its own V8 heap and JIT), and the passes alternate. In one
// isolate the two sides share js-yaml's code and its type feedback: the floor's default schema and the
// product's Kubernetes schema then make the parser's call sites polymorphic, which slowed the product's
// parse by ~25% (audit alone ~720 ms, after floor passes in the same isolate ~920 ms). A user's run
// never parses with two schemas.

import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";

const { values } = parseArgs({
  options: {
    docs: { type: "string", default: "20000" },
    "per-file": { type: "string", default: "100" },
    runs: { type: "string", default: "7" },
    "real-copies": { type: "string", default: "30" },
  },
});
const DOCS = Number(values.docs);
const PER_FILE = Number(values["per-file"]);
const RUNS = Number(values.runs);
const REAL_COPIES = Number(values["real-copies"]);

// A realistic mix: mostly clean Deployments/StatefulSets/CronJobs with Services and ConfigMaps
// between them, and about 1 workload in 25 with a Docker dependency (socket, DOCKER_HOST, logs).
function doc(i) {
  const ns = `team-${i % 40}`;
  const kind = i % 10;
  if (kind === 9) {
    return `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\n  namespace: ${ns}\nspec:\n  selector:\n    app: app-${i - 1}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n`;
  }
  if (kind === 8) {
    return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-${i}\n  namespace: ${ns}\ndata:\n  app.properties: |\n    server.port=8080\n    feature.flags=a,b,c\n    log.level=info\n`;
  }
  const dockerish = i % 25 === 3;
  const wk = kind < 5 ? "Deployment" : kind < 7 ? "StatefulSet" : "CronJob";
  const podSpec = (indent) => {
    const p = " ".repeat(indent);
    return [
      `${p}serviceAccountName: app-${i}`,
      `${p}securityContext:`,
      `${p}  runAsNonRoot: true`,
      `${p}containers:`,
      `${p}  - name: app`,
      `${p}    image: registry.example.com/${ns}/app-${i % 300}:1.${i % 17}.0`,
      `${p}    imagePullPolicy: IfNotPresent`,
      `${p}    args: ["--port=8080", "--log-format=json"]`,
      `${p}    ports:`,
      `${p}      - containerPort: 8080`,
      `${p}        name: http`,
      `${p}    env:`,
      `${p}      - name: POD_NAME`,
      `${p}        valueFrom:`,
      `${p}          fieldRef:`,
      `${p}            fieldPath: metadata.name`,
      dockerish
        ? `${p}      - name: DOCKER_HOST\n${p}        value: unix:///var/run/docker.sock`
        : `${p}      - name: MODE\n${p}        value: production`,
      `${p}    resources:`,
      `${p}      requests: {cpu: 100m, memory: 128Mi}`,
      `${p}      limits: {memory: 256Mi}`,
      `${p}    readinessProbe:`,
      `${p}      httpGet: {path: /healthz, port: http}`,
      `${p}    volumeMounts:`,
      `${p}      - name: data`,
      `${p}        mountPath: /data`,
      `${p}volumes:`,
      `${p}  - name: data`,
      dockerish ? `${p}    hostPath:\n${p}      path: /var/run/docker.sock` : `${p}    emptyDir: {}`,
    ].join("\n");
  };
  const meta = `metadata:\n  name: app-${i}\n  namespace: ${ns}\n  labels:\n    app.kubernetes.io/name: app-${i}\n    app.kubernetes.io/part-of: shop\n`;
  if (wk === "CronJob") {
    return `apiVersion: batch/v1\nkind: CronJob\n${meta}spec:\n  schedule: "*/15 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n${podSpec(10)}\n`;
  }
  return `apiVersion: apps/v1\nkind: ${wk}\n${meta}spec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-${i}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-${i}\n    spec:\n${podSpec(6)}\n`;
}

function generate(dir, docs, perFile) {
  let bytes = 0;
  for (let f = 0; f * perFile < docs; f++) {
    const parts = [];
    for (let i = f * perFile; i < Math.min(docs, (f + 1) * perFile); i++) parts.push(doc(i));
    const text = parts.join("---\n");
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `m-${String(f).padStart(5, "0")}.yaml`), text);
  }
  return bytes;
}

// What a team gating hundreds of charts would have: a few rules re-graded or off, exemptions by
// namespace, kind and name globs. Read and validated on every run, as the CLI does.
const CONFIG = `rules:
  W012: off
  docker-log-dependency: medium
  W010: low
exemptions:
  - namespaces: ["team-1*"]
    kinds: [CronJob]
    rules: [W009]
    reason: "batch jobs move in OPS-1"
  - names: ["app-1?3"]
    reason: "legacy apps, retired in Q3"
  - kinds: [StatefulSet]
    namespaces: ["team-3?"]
    rules: [docker-socket-mount, W009]
    reason: "databases keep the Docker host until the node pool is replaced"
`;
let configDir;

/** A worker that runs one side on request: "floor" (js-yaml loadAll) or "audit" (scanFiles). */
async function serve() {
  const side = process.env.KRA_BENCH_SIDE;
  const dirOfConfig = process.env.KRA_BENCH_CONFIG_DIR;
  let pass;
  if (side === "floor") {
    const { loadAll } = await import("js-yaml");
    pass = async (dir) => {
      let n = 0;
      for (const name of readdirSync(dir).sort()) n += loadAll(readFileSync(join(dir, name), "utf8")).length;
      return { documents: n };
    };
  } else {
    const { loadConfig } = await import("../dist/config/config.js");
    const { makeTarget } = await import("../dist/core/target.js");
    const { allRuleMeta } = await import("../dist/scan/catalogue.js");
    const { scanFiles } = await import("../dist/scan/files.js");
    const target = makeTarget({});
    const rules = allRuleMeta();
    pass = async (dir) => {
      // Read and validated on every pass, as the CLI does.
      const { policy } = loadConfig(undefined, dirOfConfig, rules);
      const r = await scanFiles([dir], { target, ignore: new Set(), policy });
      return { findings: r.findings.length, documents: r.coverage.documents };
    };
  }
  process.on("message", async ({ dir, heap }) => {
    // Each pass starts from a collected heap, so it never pays for an earlier pass's garbage.
    global.gc?.();
    let peak = 0;
    // Peak heap is sampled every 20 ms in passes of its own (sampling is not timed).
    const timer = heap
      ? setInterval(() => {
          peak = Math.max(peak, getHeapStatistics().used_heap_size);
        }, 20)
      : undefined;
    const t = performance.now();
    const out = await pass(dir);
    const ms = performance.now() - t;
    if (timer) clearInterval(timer);
    peak = Math.max(peak, getHeapStatistics().used_heap_size);
    process.send({ ms, out, peak });
  });
}

function startSide(side) {
  const child = fork(new URL(import.meta.url), process.argv.slice(2), {
    execArgv: ["--expose-gc"],
    env: { ...process.env, KRA_BENCH_SIDE: side, KRA_BENCH_CONFIG_DIR: configDir },
  });
  const queue = [];
  child.on("message", (m) => queue.shift()?.resolve(m));
  child.on("exit", (code) => {
    for (const q of queue.splice(0)) q.reject(new Error(`bench/files: the ${side} process exited (${code})`));
  });
  return {
    run: (dir, heap = false) =>
      new Promise((resolve, reject) => {
        queue.push({ resolve, reject });
        child.send({ dir, heap });
      }),
    stop: () => {
      child.disconnect();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.env.KRA_BENCH_SIDE) await serve();
else await main();

async function main() {
  configDir = mkdtempSync(join(tmpdir(), "kra-bench-config-"));
  writeFileSync(join(configDir, ".runtime-audit.yaml"), CONFIG);
  const dir = mkdtempSync(join(tmpdir(), "kra-bench-files-"));
  const real = mkdtempSync(join(tmpdir(), "kra-bench-files-real-"));
  const floorSide = startSide("floor");
  const auditSide = startSide("audit");
  /** Median and best of RUNS passes of each side on `corpus`, the passes alternating. */
  const measure = async (corpus) => {
    // Warm both sides twice so neither is timed while its JIT is still compiling.
    for (let w = 0; w < 2; w++) {
      await floorSide.run(corpus);
      await auditSide.run(corpus);
    }
    const floors = [];
    const audits = [];
    let last;
    for (let r = 0; r < RUNS; r++) {
      floors.push((await floorSide.run(corpus)).ms);
      const a = await auditSide.run(corpus);
      audits.push(a.ms);
      last = a.out;
    }
    const f = median(floors);
    const a = median(audits);
    const fMin = Math.min(...floors);
    const aMin = Math.min(...audits);
    console.log(
      `  floor  js-yaml loadAll (read + parse):   median ${f.toFixed(0)} ms, best ${fMin.toFixed(0)} ms (${RUNS} runs)`,
    );
    console.log(
      `  audit  kube-runtime-audit scanFiles:     median ${a.toFixed(0)} ms, best ${aMin.toFixed(0)} ms ` +
        `(${last.documents} documents, ${last.findings} findings)`,
    );
    console.log(
      `  ratio  audit / floor:                    ${(a / f).toFixed(2)}x median, ${(aMin / fMin).toFixed(2)}x best  (goal <= 1.30x)`,
    );
  };
  try {
    const bytes = generate(dir, DOCS, PER_FILE);
    console.log(
      `bench/files: ${DOCS} documents in ${Math.ceil(DOCS / PER_FILE)} files, ${(bytes / 1e6).toFixed(1)} MB`,
    );
    await measure(dir);

    // Real inputs: the chart renders the tests use (logging and monitoring agents, CI runners: ConfigMaps
    // of log configs the rules read, dense in findings), copied until the corpus is of the same order.
    const renders = new URL("../test/fixtures/real-charts/", import.meta.url);
    const names = readdirSync(renders).filter((n) => n.endsWith(".yaml"));
    let realBytes = 0;
    for (let copy = 0; copy < REAL_COPIES; copy++) {
      for (const n of names) {
        const text = readFileSync(new URL(n, renders), "utf8");
        realBytes += Buffer.byteLength(text);
        writeFileSync(join(real, `c${String(copy).padStart(3, "0")}-${n}`), text);
      }
    }
    console.log(
      `bench/files: real chart renders (test/fixtures/real-charts), ${names.length} files x ${REAL_COPIES} copies, ` +
        `${(realBytes / 1e6).toFixed(1)} MB`,
    );
    await measure(real);

    // Memory flat in the number of files: the same per-file size, a quarter of the files.
    const small = mkdtempSync(join(tmpdir(), "kra-bench-files-small-"));
    try {
      generate(small, Math.ceil(DOCS / 4), PER_FILE);
      const s = (await auditSide.run(small, true)).peak;
      const l = (await auditSide.run(dir, true)).peak;
      console.log(
        `  memory peak heap: ${(s / 1e6).toFixed(0)} MB for ${Math.ceil(DOCS / 4)} documents, ` +
          `${(l / 1e6).toFixed(0)} MB for ${DOCS} (ratio ${(l / s).toFixed(2)} for 4x the files)`,
      );
    } finally {
      rmSync(small, { recursive: true, force: true });
    }
  } finally {
    floorSide.stop();
    auditSide.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(real, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
}
