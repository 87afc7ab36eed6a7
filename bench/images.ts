/**
 * bench/images: how fast the registry client inspects many images over a slow link, against the
 * minimum work and against skopeo, measured in the same run. A command, not a test: it prints figures
 * and asserts nothing (exit 0 unless it could not run).
 *
 *   npm run bench:images                       # = npm run build && node --import ./bench/lib/ts-hooks.ts bench/images.ts
 *   npm run bench:images -- --images 300 --skopeo-seq 100
 *   npm run bench:images -- --skopeo-seq 0 --replay   # registry answers replayed from memory
 *
 * Needs Node >= 22.18 (type stripping; `source scripts/node-env.sh` gives Node 24), root, and the real
 * components: it runs `scripts/testenv.sh install` and `up` on a temp dir, and `down` at the end.
 *
 * Setup: N distinct images (each with its own config blob) in the local registry 2.8: 30% OCI
 * indexes and 10% Docker lists (linux/amd64 + linux/arm64/v8), 30% Docker v2s2 and 30% OCI single
 * manifests, spread over R repositories. Every client talks to the registry through a latency proxy
 * (bench/lib/delay-proxy.ts, default 20 ms per round trip; the kernel here has no netem).
 *
 * Figures:
 * - requests made vs the minimum: one manifest GET per reference + one GET per index child for the
 *   asked platforms (+ one token per repository when auth is on; the benchmark registry has no
 *   auth). The tool also reads the config blob of each single-platform manifest, because the platform
 *   of a single manifest is only in its config (rule I002 needs it); that figure is shown separately.
 * - wall time vs the latency floor: minimum requests × RTT ÷ the client's per-registry concurrency.
 * - the same references through a sequential `skopeo inspect --raw` loop (timed on a subset, scaled)
 *   and through `xargs -P 16 skopeo inspect --raw`. skopeo --raw reads only the top-level manifest,
 *   so it does less than the tool.
 * - the same GETs by the bare client straight to the registry, no proxy: the registry's own time on
 *   these cores. On 2 shared cores registry 2.8 needs more than the latency floor for them, so
 * - --replay puts a caching front (bench/lib/replay-registry.ts) between the proxy and the registry:
 *   a warm-up pass fills it, and the measured passes get the registry's own bytes from memory. The
 *   figures then show the client, the latency and the proxy without the registry's CPU.
 * With --auth the images are served by a TLS registry with token auth (a token server from the test
 * harness, itself behind a latency proxy); the minimum then includes one token per repository.
 * Goals (issue #3): requests <= 1.05x the minimum, wall <= 1.25x the floor, >= 20x faster than the
 * sequential loop, >= 2x faster than the parallel one.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parsePlatforms } from "../src/core/target.js";
import { credentialsFromDockerConfig, RegistryClient, type RegistryOptions } from "../src/registry/index.js";
import { jsonBytes, makeLayer } from "../test/real/harness/layers.js";
import { pushBlob, pushManifest } from "../test/real/harness/registry-push.js";
import { startTestEnv, stopTestEnv, type TestEnv } from "../test/real/harness/testenv.js";
import {
  makeCert,
  type RegistryProcess,
  startRegistry,
  TokenServer,
} from "../test/real/harness/token-server.js";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "1000" },
    repos: { type: "string", default: "50" },
    rtt: { type: "string", default: "20" },
    concurrency: { type: "string", default: "16" },
    "skopeo-seq": { type: "string", default: "200" },
    "skopeo-parallel": { type: "string", default: "16" },
    platforms: { type: "string", default: "linux/amd64,linux/arm64" },
    // Token auth: the registry (TLS) behind the latency proxy asks for a bearer token per repository
    // from a token server that is behind its own latency proxy.
    auth: { type: "boolean", default: false },
    // Write a V8 CPU profile of the tool's pass (only that window) to this file (.cpuprofile, opens in
    // Chrome DevTools); the report then lists the top self-time functions.
    profile: { type: "string" },
    // Serve the registry's answers from a replaying cache (bench/lib/replay-registry.ts) after a
    // warm-up pass: the same bytes, without the registry's CPU on these shared cores.
    replay: { type: "boolean", default: false },
  },
});
const AUTH = values.auth === true;
const REPLAY = values.replay === true;
if (AUTH && REPLAY) {
  process.stderr.write("bench/images: --replay and --auth do not go together (tokens are per request)\n");
  process.exit(2);
}
const BENCH_USER = "bench";
const BENCH_PASSWORD = "bench-password-not-secret";
const N = Number(values.images);
const REPOS = Number(values.repos);
const RTT = Number(values.rtt);
const CONCURRENCY = Number(values.concurrency);
// --skopeo-seq 0 skips skopeo (both loops): for repeated runs of the client figures alone.
const SEQ = Math.min(N, Number(values["skopeo-seq"]));
const PAR = Number(values["skopeo-parallel"]);
const PLATFORMS = parsePlatforms(values.platforms);

type Kind = "oci-index" | "docker-list" | "docker" | "oci";
const KINDS: Kind[] = [
  "oci-index",
  "oci-index",
  "oci-index",
  "docker-list",
  "docker",
  "docker",
  "docker",
  "oci",
  "oci",
  "oci",
];
const CHILD_PLATFORMS = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64", variant: "v8" },
];

interface BenchImage {
  repo: string;
  tag: string;
  kind: Kind;
  /** Children an index offers (platform strings). */
  offers: string[];
}

const MT = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

const LAYER = makeLayer([{ path: "bench.txt", content: "kube-runtime-audit bench layer\n" }]);

async function pushImage(reg: string, img: BenchImage, i: number): Promise<void> {
  const single = async (
    docker: boolean,
    plat: { os: string; architecture: string; variant?: string },
    ref: string,
  ) => {
    const cfg = await pushBlob(
      reg,
      img.repo,
      jsonBytes({
        architecture: plat.architecture,
        ...(plat.variant ? { variant: plat.variant } : {}),
        os: plat.os,
        config: {
          Labels: { "bench.image": String(i), "bench.platform": `${plat.architecture}${plat.variant ?? ""}` },
        },
        rootfs: { type: "layers", diff_ids: [LAYER.diffId] },
      }),
    );
    const layer = { digest: await layerDigest(reg, img.repo), size: LAYER.gzip.length };
    const mediaType = docker ? MT.dockerManifest : MT.ociManifest;
    const body = jsonBytes({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: docker ? MT.dockerConfig : MT.ociConfig, ...cfg },
      layers: [{ mediaType: docker ? MT.dockerLayer : MT.ociLayer, ...layer }],
    });
    return { mediaType, ...(await pushManifest(reg, img.repo, ref, mediaType, body)) };
  };
  if (img.kind === "docker" || img.kind === "oci") {
    await single(img.kind === "docker", CHILD_PLATFORMS[0]!, img.tag);
    return;
  }
  const docker = img.kind === "docker-list";
  const children = [];
  for (const p of CHILD_PLATFORMS) {
    const probe = await single(docker, p, `tmp-${i}-${p.architecture}`);
    children.push({ mediaType: probe.mediaType, digest: probe.digest, size: probe.size, platform: p });
  }
  const mediaType = docker ? MT.dockerList : MT.ociIndex;
  await pushManifest(
    reg,
    img.repo,
    img.tag,
    mediaType,
    jsonBytes({ schemaVersion: 2, mediaType, manifests: children }),
  );
}

const layerPushed = new Map<string, Promise<string>>();
function layerDigest(reg: string, repo: string): Promise<string> {
  let p = layerPushed.get(repo);
  if (!p) {
    p = pushBlob(reg, repo, LAYER.gzip).then((d) => d.digest);
    layerPushed.set(repo, p);
  }
  return p;
}

async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

interface ProxyProcess {
  address: string;
  /** Connections the proxy accepted so far. */
  connections(): Promise<number>;
  stop(): void;
}

interface Helper {
  address: string;
  /** Sends "stats" and resolves with the helper's answer line. */
  stats(): Promise<string>;
  stop(): void;
}

/**
 * Runs a bench helper script (latency proxy, replaying registry) in its own process, so its work does
 * not share our event loop: it prints "listening ADDR" once ready and answers "stats" on stdin.
 */
function startHelper(name: string, args: string[]): Promise<Helper> {
  const script = fileURLToPath(new URL(`./lib/${name}`, import.meta.url));
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const waiters: ((line: string) => void)[] = [];
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      let nl = out.indexOf("\n");
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        nl = out.indexOf("\n");
        const listening = /^listening (\S+)/.exec(line);
        if (listening?.[1]) {
          resolve({
            address: listening[1],
            stats: () =>
              new Promise((res) => {
                waiters.push(res);
                child.stdin.write("stats\n");
              }),
            stop: () => {
              child.stdin.end();
              child.kill("SIGTERM");
            },
          });
        } else waiters.shift()?.(line);
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${name} exited (${code}) before listening`)));
  });
}

/** The latency proxy (bench/lib/delay-proxy.ts) in front of `target`. */
async function startProxy(target: string): Promise<ProxyProcess> {
  const h = await startHelper("delay-proxy.ts", [target, String(RTT)]);
  return {
    address: h.address,
    connections: async () => Number(/^connections (\d+)/.exec(await h.stats())?.[1] ?? Number.NaN),
    stop: h.stop,
  };
}

/** The replaying registry front (bench/lib/replay-registry.ts) for `upstream`. */
function startReplayProcess(upstream: string): Promise<Helper> {
  return startHelper("replay-registry.ts", [upstream]);
}

const ACCEPT = [MT.dockerManifest, MT.dockerList, MT.ociManifest, MT.ociIndex].join(", ");

/**
 * The same minimum work done by the simplest possible client (plain fetch, same concurrency, no
 * parsing beyond picking children, no digest checks): what this machine and registry allow, so the
 * tool's ratio to it shows the client's own overhead, apart from registry and CPU load.
 */
async function bareClient(addr: string, images: BenchImage[]): Promise<Phase & { requests: number }> {
  let active = 0;
  let requests = 0;
  const queue: (() => void)[] = [];
  const get = async (path: string, accept: string): Promise<Buffer> => {
    if (active >= CONCURRENCY) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      requests++;
      const res = await fetch(`http://${addr}${path}`, { headers: { accept } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      return body;
    } finally {
      active--;
      queue.shift()?.();
    }
  };
  const start = phaseStart();
  await Promise.all(
    images.map(async (img) => {
      const m = JSON.parse((await get(`/v2/${img.repo}/manifests/${img.tag}`, ACCEPT)).toString()) as {
        manifests?: { digest: string; mediaType: string; platform?: { os: string; architecture: string } }[];
        config?: { digest: string; mediaType: string };
      };
      if (m.manifests) {
        const wantedChildren = m.manifests.filter((d) =>
          PLATFORMS.some((p) => d.platform?.os === p.os && d.platform.architecture === p.architecture),
        );
        await Promise.all(
          wantedChildren.map((d) => get(`/v2/${img.repo}/manifests/${d.digest}`, d.mediaType)),
        );
      } else if (m.config) {
        await get(`/v2/${img.repo}/blobs/${m.config.digest}`, m.config.mediaType);
      }
    }),
  );
  return { ...phaseEnd(start), requests };
}

/** Wall time and this process's CPU time (user + system) of one pass. */
interface Phase {
  ms: number;
  cpuMs: number;
}
function phaseStart(): { t: number; cpu: NodeJS.CpuUsage } {
  return { t: performance.now(), cpu: process.cpuUsage() };
}
function phaseEnd(s: { t: number; cpu: NodeJS.CpuUsage }): Phase {
  const cpu = process.cpuUsage(s.cpu);
  return { ms: performance.now() - s.t, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Top self-time functions of a V8 CPU profile (ms), for the report. */
function topSelfTime(profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const cf = byId.get(samples[i] ?? -1);
    if (!cf) continue;
    const where = cf.url
      ? ` ${cf.url.replace(/^.*\/(node_modules|src|dist)\//, "$1/")}:${cf.lineNumber + 1}`
      : "";
    const key = `${cf.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return [...self]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => `${v.toFixed(0).padStart(6)} ms  ${k}`);
}

/** Times a shell script without blocking this process (the token server of --auth lives here). */
function timeShell(script: string): Promise<{ ms: number; status: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    child.on("close", (code) =>
      resolve({ ms: performance.now() - t0, status: code ?? -1, stderr: stderr.slice(0, 2000) }),
    );
  });
}

const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const goal = (ok: boolean) => (ok ? "met" : "NOT met");
const perReq = (cpuMs: number, n: number) => `${fmt(cpuMs)}, ${Math.round((cpuMs * 1000) / n)} µs/request`;

async function main(): Promise<void> {
  process.stderr.write(`bench/images: ${N} images in ${REPOS} repositories, RTT ${RTT} ms\n`);
  let env: TestEnv | undefined;
  let proxy: ProxyProcess | undefined;
  let tokenProxy: ProxyProcess | undefined;
  let replay: Helper | undefined;
  let tokenServer: TokenServer | undefined;
  let secured: RegistryProcess | undefined;
  const cleanup = () => {
    proxy?.stop();
    proxy = undefined;
    tokenProxy?.stop();
    replay?.stop();
    tokenProxy = undefined;
    void secured?.stop();
    secured = undefined;
    void tokenServer?.close();
    tokenServer = undefined;
    if (env) {
      const e = env;
      env = undefined;
      stopTestEnv(e);
    }
  };
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    env = await startTestEnv({ prefix: "kra-bench-" });
    const images: BenchImage[] = Array.from({ length: N }, (_, i) => {
      const kind = KINDS[i % KINDS.length] as Kind;
      const offers = kind === "oci-index" || kind === "docker-list" ? ["linux/amd64", "linux/arm64/v8"] : [];
      return { repo: `bench/r${i % REPOS}`, tag: `i${i}`, kind, offers };
    });
    const t0 = performance.now();
    await pool(images, 8, (img, i) => pushImage(env?.regAddr ?? "", img, i));
    process.stderr.write(`bench/images: pushed ${N} images directly in ${fmt(performance.now() - t0)}\n`);

    let serving = env.regAddr;
    const access: RegistryOptions = {};
    let skopeoAuth = "";
    if (AUTH) {
      const certs = join(env.dir, "bench-auth");
      const tls = makeCert(certs, "tls");
      const signing = makeCert(certs, "signing", "kra-bench-token-signer");
      tokenServer = await new TokenServer({
        service: "kra-bench",
        issuer: "kra-bench-issuer",
        signing,
        tls,
        users: { [BENCH_USER]: BENCH_PASSWORD },
        grants: { [BENCH_USER]: ["*"] },
        ttlSeconds: 600,
      }).start();
      const realmPort = new URL(tokenServer.realm).port;
      tokenProxy = await startProxy(`127.0.0.1:${realmPort}`);
      secured = await startRegistry({
        dir: join(env.dir, "bench-secured"),
        storageDir: join(env.dir, "reg", "data"),
        tls,
        token: {
          realm: `https://${tokenProxy.address}/token`,
          service: "kra-bench",
          issuer: "kra-bench-issuer",
          rootCertPath: signing.certPath,
        },
      });
      serving = secured.addr;
      access.caCertificates = [tls.certPem];
      skopeoAuth = ` --creds ${BENCH_USER}:${BENCH_PASSWORD}`;
    }
    let replayWarm = "";
    if (REPLAY) {
      replay = await startReplayProcess(serving);
      serving = replay.address;
      // Warm-up through the cache, without added latency: every GET the passes below make (the bare
      // client's, the tool's, the layer reads) is answered once by the registry and kept.
      const warm = new RegistryClient({ insecureRegistries: [serving], concurrencyPerRegistry: CONCURRENCY });
      await bareClient(serving, images);
      await Promise.all(
        images.map((img) =>
          warm.inspect(`${serving}/${img.repo}:${img.tag}`, PLATFORMS, { verifyLayers: true }),
        ),
      );
      await warm.close();
      replayWarm = await replay.stats();
      process.stderr.write(`bench/images: replay cache warmed (${replayWarm})\n`);
    }
    proxy = await startProxy(serving);
    const refs = images.map((img) => `${proxy?.address}/${img.repo}:${img.tag}`);
    if (AUTH) {
      const auth = Buffer.from(`${BENCH_USER}:${BENCH_PASSWORD}`).toString("base64");
      access.credentials = credentialsFromDockerConfig({ auths: { [proxy.address]: { auth } } }, "bench");
    } else {
      access.insecureRegistries = [proxy.address];
    }

    // --- the tool -------------------------------------------------------------------------------
    const byKind: Record<string, number> = {};
    let requests = 0;
    // The first request to a registry goes alone (the client's first-contact gate, so a registry that
    // wants a token answers one 401); onRequest fires when it is answered, i.e. when the gate opens.
    let gateOpenAt: number | undefined;
    const client = new RegistryClient({
      ...access,
      concurrencyPerRegistry: CONCURRENCY,
      onRequest: (e) => {
        gateOpenAt ??= performance.now();
        requests++;
        const k = /\/manifests\//.test(e.url)
          ? "manifest"
          : /\/blobs\//.test(e.url)
            ? "blob"
            : /\/token\b/.test(e.url)
              ? "token"
              : "other";
        byKind[k] = (byKind[k] ?? 0) + 1;
      },
    });
    // The bare client first: whatever warms up in the registry (its caches, the page cache) then
    // favours the tool, not the reference. Only comparable without --auth (plain HTTP, no tokens).
    let connsBefore = await proxy.connections();
    const bare = AUTH ? undefined : await bareClient(proxy.address, images);
    const bareConnections = (await proxy.connections()) - connsBefore;
    // The same GETs straight to the registry, no proxy and no added latency: how long this machine's
    // registry takes to serve them at this concurrency (its CPU shares the cores with the client).
    // When that alone is near or above the latency floor, no client can reach the floor here.
    const direct = AUTH ? undefined : await bareClient(serving, images);

    const session = values.profile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    connsBefore = await proxy.connections();
    let start = phaseStart();
    const facts = await Promise.all(refs.map((r) => client.inspect(r, PLATFORMS)));
    const gateMs = (gateOpenAt ?? start.t) - start.t;
    const tool = phaseEnd(start);
    const toolMs = tool.ms;
    let hotspots: string[] = [];
    if (session && values.profile) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(values.profile, JSON.stringify(profile));
      hotspots = topSelfTime(profile);
      session.disconnect();
    }
    const toolConnections = (await proxy.connections()) - connsBefore;
    await client.close();

    // --- the tool with layer verification (what `image` does, `files --verify-layers`) ------------
    // One Range GET per distinct layer (per repository) of the single manifests judged, on top of the
    // pass above.
    const verifyKinds: Record<string, number> = {};
    let verifyRequests = 0;
    const verifying = new RegistryClient({
      ...access,
      concurrencyPerRegistry: CONCURRENCY,
      onRequest: (e) => {
        verifyRequests++;
        const k = /\/blobs\//.test(e.url) ? "blob" : "other";
        verifyKinds[k] = (verifyKinds[k] ?? 0) + 1;
      },
    });
    connsBefore = await proxy.connections();
    start = phaseStart();
    const verified = await Promise.all(
      refs.map((r) => verifying.inspect(r, PLATFORMS, { verifyLayers: true })),
    );
    const verify = phaseEnd(start);
    // Every judged layer must carry its sniffed magic, whether its read was made for this image or
    // shared with another image of the repository.
    const unsniffed = verified.filter((f) =>
      [f.root, ...Object.values(f.children)].some(
        (m) => m?.kind === "manifest" && (m.layers ?? []).some((l) => f.layerMagic?.[l.digest] !== "gzip"),
      ),
    );
    if (unsniffed.length)
      throw new Error(`${unsniffed.length} images without layer magic after --verify-layers`);
    const verifyMs = verify.ms;
    const verifyConnections = (await proxy.connections()) - connsBefore;
    await verifying.close();
    const layerReads = (verifyKinds.blob ?? 0) - (byKind.blob ?? 0);
    const failed = facts.filter((f) => f.error || Object.keys(f.childErrors).length);
    if (failed.length) {
      throw new Error(
        `${failed.length} inspections failed, e.g. ${JSON.stringify(failed[0]?.error ?? failed[0]?.childErrors)}`,
      );
    }

    // Token requests go through the same transport, so `requests` already counts them; the token
    // server's own log is the cross-check.
    const tokenRequests = tokenServer?.log.length ?? 0;
    if (AUTH && tokenRequests !== (byKind.token ?? 0)) {
      throw new Error(
        `token requests: client counted ${byKind.token ?? 0}, token server saw ${tokenRequests}`,
      );
    }

    // minimum: one GET per reference + wanted children + one token per repository with auth
    const wanted = (offers: string[]) =>
      offers.filter((o) => PLATFORMS.some((p) => o.startsWith(`${p.os}/${p.architecture}`))).length;
    const repositories = new Set(images.map((img) => img.repo)).size;
    const minimum = images.reduce((n, img) => n + 1 + wanted(img.offers), 0) + (AUTH ? repositories : 0);
    const singles = images.filter((img) => img.offers.length === 0).length;
    const withConfigs = minimum + singles;
    const floorMs = (minimum * RTT) / CONCURRENCY;
    // A single manifest names its platform only in its config, so the verdict needs that GET too.
    const configFloorMs = (withConfigs * RTT) / CONCURRENCY;

    // --- skopeo ------------------------------------------------------------------------------------
    let skopeoLines: string[] = [];
    if (SEQ > 0) {
      const list = join(env.dir, "refs.txt");
      writeFileSync(list, `${refs.map((r) => `docker://${r}`).join("\n")}\n`);
      const seqList = join(env.dir, "refs-seq.txt");
      writeFileSync(
        seqList,
        `${refs
          .slice(0, SEQ)
          .map((r) => `docker://${r}`)
          .join("\n")}\n`,
      );
      const skopeo = `skopeo inspect --raw --tls-verify=false${skopeoAuth}`;
      const seq = await timeShell(
        `set -e; while read -r r; do ${skopeo} "$r" >/dev/null; done < '${seqList}'`,
      );
      if (seq.status !== 0) throw new Error(`sequential skopeo loop failed: ${seq.stderr}`);
      const seqScaled = (seq.ms * N) / SEQ;
      const par = await timeShell(`xargs -P ${PAR} -n 1 ${skopeo} < '${list}' >/dev/null`);
      if (par.status !== 0) throw new Error(`parallel skopeo run failed: ${par.stderr}`);
      skopeoLines = [
        "",
        "  skopeo inspect --raw (top-level manifest only)",
        `    sequential loop                ${fmt(seqScaled)}${SEQ < N ? `  (timed ${SEQ} images: ${fmt(seq.ms)}, scaled x${(N / SEQ).toFixed(1)})` : ""}   tool is ${ratio(seqScaled, toolMs)} faster   goal >= 20x: ${goal(seqScaled >= toolMs * 20)}`,
        `    xargs -P ${PAR}                    ${fmt(par.ms)}   tool is ${ratio(par.ms, toolMs)} faster   goal >= 2x: ${goal(par.ms >= toolMs * 2)}`,
      ];
    }

    // --- report ----------------------------------------------------------------------------------
    const missesAfterWarm = (t: string) => Number(/misses (\d+)/.exec(t)?.[1] ?? Number.NaN);
    const replayEnd = replay ? await replay.stats() : "";
    const lines = [
      `bench/images — ${N} images (${N - singles} indexes/lists, ${singles} single manifests) in ${REPOS} repositories`,
      REPLAY
        ? `  registry answers replayed from memory (bench/lib/replay-registry.ts; warm-up: ${replayWarm}; the measured passes reached the registry ${missesAfterWarm(replayEnd) - missesAfterWarm(replayWarm)} times)`
        : "  registry 2.8 (distribution) serving every request",
      `  latency proxy ${RTT} ms per round trip; platforms ${values.platforms}; client concurrency ${CONCURRENCY} per registry; ${AUTH ? `token auth over TLS (${repositories} repositories)` : "auth off"}`,
      "",
      "  requests",
      `    made by the tool              ${requests}  (${Object.entries(byKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; over ${toolConnections} connections)`,
      `    minimum (manifests + children${AUTH ? " + 1 token per repository" : ""}) ${minimum}   ratio ${ratio(requests, minimum)}   goal <= 1.05x: ${goal(requests <= minimum * 1.05)}`,
      `    minimum + 1 config per single  ${withConfigs}   ratio ${ratio(requests, withConfigs)}`,
      "",
      "  wall time (CPU = this process's user+system time during the pass, per request)",
      `    latency floor                  ${fmt(floorMs)}  (= ${minimum} x ${RTT} ms / ${CONCURRENCY}; ${fmt((withConfigs * RTT) / CONCURRENCY)} incl. configs)`,
      bare
        ? `    bare fetch client, same GETs   ${fmt(bare.ms)}  floor ${ratio(bare.ms, floorMs)}  (${bare.requests} requests, ${bareConnections} connections, CPU ${perReq(bare.cpuMs, bare.requests)})`
        : "    bare fetch client              (not run with --auth)",
      ...(direct
        ? [
            `    bare client, no proxy, 0 ms    ${fmt(direct.ms)}  (the registry's own time for the same GETs on these cores, no latency: no client reaches the floor when this is near it)`,
          ]
        : []),
      `    tool                           ${fmt(toolMs)}  floor ${ratio(toolMs, floorMs)}${bare ? `  bare ${ratio(toolMs, bare.ms)}` : ""}  (${requests} requests, ${toolConnections} connections, CPU ${perReq(tool.cpuMs, requests)}; first-contact gate ${fmt(gateMs)})`,
      `      vs the floor of the GETs it needs (configs included, ${fmt(configFloorMs)}): ${ratio(toolMs, configFloorMs)}   goal <= 1.25x floor: ${goal(toolMs <= floorMs * 1.25)} (manifests only), ${goal(toolMs <= configFloorMs * 1.25)} (configs included)`,
      `    tool --verify-layers           ${fmt(verifyMs)}  floor ${ratio(verifyMs, floorMs)}${bare ? `  bare ${ratio(verifyMs, bare.ms)}` : ""}  (${verifyRequests} requests incl. ${layerReads} layer Range reads, ${verifyConnections} connections, CPU ${perReq(verify.cpuMs, verifyRequests)}; its own floor ${fmt(((withConfigs + layerReads) * RTT) / CONCURRENCY)}, ratio ${ratio(verifyMs, ((withConfigs + layerReads) * RTT) / CONCURRENCY)})`,
      ...(hotspots.length
        ? [
            "",
            `  top self time in the tool's pass (profile: ${values.profile})`,
            ...hotspots.map((h) => `  ${h}`),
          ]
        : []),
      ...skopeoLines,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/images: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
