/**
 * A caching HTTP front for a registry, for bench/images `--replay`: the first GET/HEAD of a URL (with
 * its Accept and Range headers) goes to the real registry and its status, headers and body are kept;
 * every later one is answered from memory with the same bytes. What the client sees is what the real
 * registry sent (same Content-Type, Docker-Content-Digest, Content-Range), only much cheaper to serve.
 *
 * Why: on this 2-core machine the registry 2.8 itself needs ~3 s of wall time to serve the benchmark's
 * 2,400 GETs at 16 in flight with no added latency (bench/images prints it), more than the 2.25 s
 * latency floor, so no client can come near the floor against it. Replayed answers take the
 * registry's CPU out of the measurement and leave the client, the latency and the proxy.
 *
 * CLI: node bench/lib/replay-registry.ts UPSTREAM_HOST:PORT
 *      prints "listening 127.0.0.1:PORT" once ready; each line "stats" on stdin is answered with
 *      "misses N hits M".
 */
import { createServer, type IncomingHttpHeaders, request } from "node:http";
import { fileURLToPath } from "node:url";

interface Kept {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers a registry answer carries that the client reads; hop-by-hop and dates are not kept. */
const KEEP = [
  "content-type",
  "content-length",
  "content-range",
  "docker-content-digest",
  "docker-distribution-api-version",
  "etag",
  "location",
  "www-authenticate",
  "accept-ranges",
];

function keyOf(method: string, url: string, h: IncomingHttpHeaders): string {
  return `${method} ${url}\u0000${h.accept ?? ""}\u0000${h.range ?? ""}`;
}

function fetchUpstream(upstream: string, method: string, url: string, h: IncomingHttpHeaders): Promise<Kept> {
  const [host = "127.0.0.1", port = "80"] = upstream.split(":");
  const headers: Record<string, string> = {};
  if (h.accept) headers.accept = h.accept;
  if (h.range) headers.range = h.range;
  if (h.authorization) headers.authorization = h.authorization;
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path: url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const kept: Record<string, string> = {};
        for (const k of KEEP) {
          const v = res.headers[k];
          if (typeof v === "string") kept[k] = v;
        }
        resolve({ status: res.statusCode ?? 502, headers: kept, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export function startReplay(upstream: string): Promise<{ address: string; stats: () => string }> {
  const kept = new Map<string, Promise<Kept>>();
  let misses = 0;
  let hits = 0;
  const server = createServer({ keepAlive: true }, (req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const key = keyOf(method, url, req.headers);
    let answer = kept.get(key);
    if (answer) hits++;
    else {
      misses++;
      answer = fetchUpstream(upstream, method, url, req.headers);
      kept.set(key, answer);
    }
    answer.then(
      (a) => {
        res.writeHead(a.status, a.headers);
        res.end(method === "HEAD" ? undefined : a.body);
      },
      (e: unknown) => {
        kept.delete(key);
        res.writeHead(502).end(String(e));
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : 0;
      resolve({ address: `127.0.0.1:${port}`, stats: () => `misses ${misses} hits ${hits}` });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [upstream] = process.argv.slice(2);
  if (!upstream) {
    process.stderr.write("usage: node bench/lib/replay-registry.ts UPSTREAM_HOST:PORT\n");
    process.exit(2);
  }
  const replay = await startReplay(upstream);
  process.stdout.write(`listening ${replay.address}\n`);
  process.stdin.setEncoding("utf8").on("data", (d: string) => {
    for (const line of d.split("\n"))
      if (line.trim() === "stats") process.stdout.write(`${replay.stats()}\n`);
  });
  process.stdin.on("end", () => process.exit(0));
  process.on("SIGTERM", () => process.exit(0));
}
