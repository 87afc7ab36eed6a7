// Shared setup for the cluster client tests: a fake API server and a kubeconfig file for it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeApiOptions, FakeApiServer } from "../../fakeapi/server.js";

export const SMALL = join(import.meta.dirname, "../../fixtures/cluster/small.yaml");

export interface Harness {
  server: FakeApiServer;
  dir: string;
  kubeconfig: string;
  close(): Promise<void>;
}

export async function harness(
  opts: FakeApiOptions & { fixtures?: string[]; objects?: Record<string, unknown>[]; token?: string } = {},
): Promise<Harness> {
  const server = await FakeApiServer.start({ fixtures: [SMALL], ...opts });
  const dir = mkdtempSync(join(tmpdir(), "kra-kube-"));
  const kubeconfig = join(dir, "config");
  writeFileSync(kubeconfig, server.kubeconfig(opts.token ? { token: opts.token } : {}));
  return {
    server,
    dir,
    kubeconfig,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
