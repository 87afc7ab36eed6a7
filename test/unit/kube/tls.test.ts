// https clusters: the kubeconfig's CA is trusted, a client certificate authenticates, an unknown CA
// is a one-line "cannot reach" error.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterClient, KubeError } from "../../../src/kube/index.js";
import { makeTestPki, type TestPki } from "../../fakeapi/certs.js";
import { FakeApiServer } from "../../fakeapi/server.js";
import { SMALL } from "./helpers.js";

let pki: TestPki;
let server: FakeApiServer;
let dir: string;
beforeAll(async () => {
  pki = makeTestPki("alice");
  server = await FakeApiServer.start({
    fixtures: [SMALL],
    tls: { key: pki.server.key, cert: pki.server.cert, clientCa: pki.ca },
    tokens: { "t-bob": "bob" },
  });
  dir = mkdtempSync(join(tmpdir(), "kra-tls-"));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function clientFor(text: string) {
  const file = join(dir, `kc-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  return ClusterClient.fromKubeConfig({ kubeconfig: file, env: {} });
}

describe("https clusters", () => {
  it("trusts certificate-authority-data and authenticates with a client certificate", async () => {
    server.log.length = 0;
    const c = clientFor(server.kubeconfig({ ca: pki.ca, clientCert: pki.client }));
    const d = await c.discover();
    expect(d.find({ group: "", kind: "Node" })).toBeDefined();
    expect(server.log.map((e) => e.user)).toEqual(["alice", "alice"]);
  });

  it("sends a bearer token over https", async () => {
    server.log.length = 0;
    await clientFor(server.kubeconfig({ ca: pki.ca, token: "t-bob" })).discover();
    expect(server.log.map((e) => e.user)).toEqual(["bob", "bob"]);
  });

  it("refuses a server whose CA it does not trust, in one line", async () => {
    const err = (await clientFor(server.kubeconfig({ ca: makeTestPki().ca, token: "t-bob" }))
      .discover()
      .catch((e: unknown) => e)) as KubeError;
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe("unreachable");
    expect(err.message).toMatch(
      /^cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "fake"\): SELF_SIGNED_CERT_IN_CHAIN \(the server's certificate is not trusted: check certificate-authority in the kubeconfig\)$/,
    );
  });
});
