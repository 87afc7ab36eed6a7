/**
 * The probe and metrics endpoints, with controller-runtime's flag conventions
 * (https://pkg.go.dev/sigs.k8s.io/controller-runtime/pkg/manager#Options): a bind address is
 * `HOST:PORT`, `:PORT` listens on every interface, and `0` turns the server off.
 */
import { createServer, type Server } from "node:http";

export interface BindAddress {
  /** "" = every interface. */
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; undefined for "0" (disabled). Throws on nonsense. */
export function parseBindAddress(text: string, flag: string): BindAddress | undefined {
  const t = text.trim();
  if (t === "0") return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(t);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`${flag} must be HOST:PORT, :PORT or 0 to disable (got "${text}")`);
  }
  return { host: m[1] ?? m[2] ?? "", port };
}

export interface Response {
  status: number;
  body: string;
  contentType?: string;
}

export type Route = () => Response | Promise<Response>;

export interface HttpEndpoint {
  /** http://host:port as bound (the real port when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/** Serves GET routes; anything else is 404, a throwing route is 500 with its message. */
export async function serveRoutes(bind: BindAddress, routes: Record<string, Route>): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(route ? 405 : 404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    Promise.resolve()
      .then(route)
      .then(
        (r) => {
          res.writeHead(r.status, { "content-type": r.contentType ?? "text/plain; charset=utf-8" });
          res.end(req.method === "HEAD" ? undefined : r.body);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
          res.end(`${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
  });
  // Probes come every few seconds from the kubelet; idle keep-alive sockets must not delay shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host === "" ? undefined : bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : bind.port;
  const host = bind.host === "" ? "127.0.0.1" : bind.host.includes(":") ? `[${bind.host}]` : bind.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The health probes: `/healthz` while the loop runs, `/readyz` after the first full sync. */
export function probeRoutes(state: { live(): boolean; ready(): boolean }): Record<string, Route> {
  const check = (ok: boolean, what: string): Response =>
    ok ? { status: 200, body: "ok\n" } : { status: 503, body: `${what}\n` };
  return {
    "/healthz": () => check(state.live(), "stopped"),
    "/readyz": () => check(state.ready(), "not synced yet"),
  };
}

/** The Prometheus text exposition from the provided registry. */
export function metricsRoutes(metrics: {
  text(): Promise<string>;
  contentType: string;
}): Record<string, Route> {
  return {
    "/metrics": async () => ({ status: 200, body: await metrics.text(), contentType: metrics.contentType }),
  };
}
