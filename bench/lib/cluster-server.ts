/**
 * The fake API server of bench/cluster.ts, in a process of its own, so the server's JSON encoding never
 * shares an event loop with the client being timed (the scan, the floor, kubectl all talk to it over
 * loopback the same way). Started with `fork()`; talks to the parent over the IPC channel:
 *   child -> parent  {type: "ready", url, counts}
 *   parent -> child  {cmd: "log"}  -> {type: "log", log}   (the request log since the last "clear")
 *                    {cmd: "clear"}                         -> {type: "cleared"}
 *                    {cmd: "cpu"}    -> {type: "cpu", cpuMs}  (this process's user + system CPU so far)
 *                    {cmd: "stop"}                          (closes the server and exits)
 * Counts come from argv: --namespaces N --deployments N --pods-per-deployment N --nodes N.
 */
import { parseArgs } from "node:util";
import { generateCluster } from "../../test/fakeapi/generate.js";
import { FakeApiServer } from "../../test/fakeapi/server.js";

const { values } = parseArgs({
  options: {
    namespaces: { type: "string", default: "100" },
    deployments: { type: "string", default: "5000" },
    "pods-per-deployment": { type: "string", default: "10" },
    nodes: { type: "string", default: "1000" },
  },
});

/** Objects served, by kind. */
export type GeneratedCounts = Record<string, number>;

const send = (m: unknown) =>
  new Promise<void>((resolve, reject) => process.send?.(m, (e: Error | null) => (e ? reject(e) : resolve())));

const server = await FakeApiServer.start({ now: Date.parse("2026-01-01T00:00:00Z") });
const namespaces = Number(values.namespaces);
const counts: GeneratedCounts = {};
for (const o of generateCluster({
  namespaces,
  deploymentsPerNamespace: Math.max(1, Math.round(Number(values.deployments) / Math.max(1, namespaces))),
  podsPerDeployment: Number(values["pods-per-deployment"]),
  nodes: Number(values.nodes),
})) {
  server.add(o);
  const kind = String(o.kind);
  counts[kind] = (counts[kind] ?? 0) + 1;
}
await send({ type: "ready", url: server.url, kubeconfig: server.kubeconfig(), counts });

process.on("message", (m: { cmd?: string }) => {
  if (m.cmd === "log") {
    void send({ type: "log", log: server.log });
  } else if (m.cmd === "clear") {
    server.log.length = 0;
    server.maxInFlight = 0;
    void send({ type: "cleared" });
  } else if (m.cmd === "cpu") {
    const u = process.cpuUsage();
    void send({ type: "cpu", cpuMs: (u.user + u.system) / 1000 });
  } else if (m.cmd === "stop") {
    void server.close().then(() => process.exit(0));
  }
});
process.on("disconnect", () => void server.close().then(() => process.exit(0)));
