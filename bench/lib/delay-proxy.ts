/**
 * A TCP proxy on 127.0.0.1 that adds network latency, for benchmarks against a local registry.
 * The kernel here has no netem qdisc (`tc qdisc … netem` fails: CONFIG_NET_SCH_NETEM is not set), so
 * latency is simulated in user space:
 * - every chunk is delivered RTT/2 after it arrives, in each direction, so a request/response costs
 *   one RTT;
 * - a new connection carries no client bytes until one RTT after it was accepted, like TCP's
 *   SYN/SYN-ACK handshake (TLS is not simulated: the benchmark registry speaks plain HTTP);
 * - order is kept per direction.
 *
 * CLI: node bench/lib/delay-proxy.ts TARGET_HOST:PORT RTT_MS [LISTEN_PORT]
 *      prints "listening 127.0.0.1:PORT" on stdout once ready; each line "stats" on stdin is answered
 *      with "connections N" on stdout.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";

export interface DelayProxy {
  address: string;
  /** Connections accepted so far (each one paid the simulated handshake). */
  connections(): number;
  close(): Promise<void>;
}

type Item = { at: number; data?: Buffer; end?: true };

/**
 * Delivers what `from` sends to `to`, each item `delayMs` after it arrived (never before
 * `notBefore()`), strictly in order: data, then the half-close, then nothing more. One timer per
 * direction drains the queue, so two chunks can never swap.
 */
function pipeDelayed(from: Socket, to: Socket, delayMs: number, notBefore: () => number): void {
  const queue: Item[] = [];
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const drain = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && (queue[0]?.at ?? 0) <= now) {
      const item = queue.shift() as Item;
      if (to.destroyed) return;
      if (item.data) to.write(item.data);
      if (item.end) to.end();
    }
    if (queue.length) timer = setTimeout(drain, Math.max(0, (queue[0]?.at ?? now) - now));
  };
  const push = (item: Omit<Item, "at">) => {
    const at = Math.max(Date.now() + delayMs, notBefore(), last);
    last = at;
    queue.push({ at, ...item });
    if (!timer) timer = setTimeout(drain, Math.max(0, at - Date.now()));
  };
  from.on("data", (data: Buffer) => push({ data }));
  from.on("end", () => push({ end: true }));
}

export function startDelayProxy(target: string, rttMs: number, listenPort = 0): Promise<DelayProxy> {
  const [host = "127.0.0.1", portText = ""] = target.split(":");
  const half = rttMs / 2;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    const acceptedAt = Date.now();
    const upstream = connect({ port: Number(portText), host, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    pipeDelayed(client, upstream, half, () => acceptedAt + rttMs + half);
    pipeDelayed(upstream, client, half, () => 0);
    // A reset on either side ends both, after the delay the news would take to travel. Orderly
    // closes travel through the queues as half-closes (see pipeDelayed).
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", () => setTimeout(done, half));
    upstream.on("error", () => setTimeout(done, half));
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
    // allowHalfOpen: a FIN from one side must not close the other before the queued bytes arrive
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : 0;
      resolve({
        address: `127.0.0.1:${port}`,
        connections: () => accepted,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [target, rtt, listen] = process.argv.slice(2);
  if (!target || !rtt) {
    process.stderr.write("usage: node bench/lib/delay-proxy.ts TARGET_HOST:PORT RTT_MS [LISTEN_PORT]\n");
    process.exit(2);
  }
  const proxy = await startDelayProxy(target, Number(rtt), listen ? Number(listen) : 0);
  process.stdout.write(`listening ${proxy.address}\n`);
  process.stdin.setEncoding("utf8").on("data", (d: string) => {
    for (const line of d.split("\n")) {
      if (line.trim() === "stats") process.stdout.write(`connections ${proxy.connections()}\n`);
    }
  });
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
