/**
 * Serves the bundled fixture cluster (test/fixtures/cluster/) on 127.0.0.1 with a port from the OS and
 * writes a kubeconfig for it, so `kubectl runtime-audit` can be tried without a cluster (README "Try it"):
 *
 *   node --import ./bench/lib/ts-hooks.ts test/fakeapi/serve-fixture.ts /tmp/fixture.kubeconfig
 *
 * Runs until interrupted. Read-only: the fake API server answers GETs only.
 */
import { writeFileSync } from "node:fs";
import { startFixtureCluster } from "./cluster-fixture.js";

const file = process.argv[2] ?? "fixture-cluster.kubeconfig";
const server = await startFixtureCluster();
writeFileSync(file, server.kubeconfig());
process.stdout.write(`fixture cluster serving; kubeconfig written to ${file} (Ctrl-C to stop)\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
