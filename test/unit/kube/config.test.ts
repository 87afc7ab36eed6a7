// Kubeconfig loading as kubectl does it: KUBECONFIG merge order, --kubeconfig, --context,
// in-cluster service account, token and exec users (the exec plugin really runs).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterClient, KubeError, loadKubeConfig } from "../../../src/kube/index.js";
import { type Harness, harness } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kra-kcfg-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const cfg = (
  current: string | undefined,
  clusters: [string, string][],
  contexts: [string, string, string?][],
) =>
  [
    "apiVersion: v1",
    "kind: Config",
    current ? `current-context: ${current}` : "",
    "clusters:",
    ...clusters.map(([n, s]) => `- {name: ${n}, cluster: {server: "${s}"}}`),
    "contexts:",
    ...contexts.map(
      ([n, c, ns]) => `- {name: ${n}, context: {cluster: ${c}, user: u${ns ? `, namespace: ${ns}` : ""}}}`,
    ),
    "users: [{name: u, user: {token: t}}]",
    "",
  ].join("\n");

describe("KUBECONFIG with several files", () => {
  it("merges as kubectl does: first definition and first current-context win, missing files skipped", () => {
    const a = file("a", cfg("ctx-a", [["one", "https://a.example:6443"]], [["ctx-a", "one", "team-a"]]));
    const b = file(
      "b",
      cfg(
        "ctx-b",
        [
          ["one", "https://b-overridden.example:6443"],
          ["two", "https://b.example:6443"],
        ],
        [["ctx-b", "two"]],
      ),
    );
    const env = { KUBECONFIG: [join(dir, "missing"), a, file("empty", ""), b].join(":") };
    const c = loadKubeConfig({ env });
    expect(c.context).toBe("ctx-a");
    expect(c.cluster.server).toBe("https://a.example:6443");
    expect(c.namespace).toBe("team-a");
    const other = loadKubeConfig({ env, context: "ctx-b" });
    expect(other.cluster.server).toBe("https://b.example:6443");
    expect(other.namespace).toBe("default");
  });

  it("differs from client-node's loadFromDefault, which throws on a name defined twice (why we merge)", () => {
    const a = file("a", cfg("ctx-a", [["one", "https://a.example"]], [["ctx-a", "one"]]));
    const b = file("b", cfg("ctx-b", [["one", "https://b.example"]], [["ctx-b", "one"]]));
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = `${a}:${b}`;
    try {
      expect(() => new KubeConfig().loadFromDefault()).toThrow(/Duplicate cluster: one/);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it("--kubeconfig wins over KUBECONFIG; a missing --kubeconfig or context is a config error", () => {
    const a = file("a", cfg("ctx-a", [["one", "https://a.example"]], [["ctx-a", "one"]]));
    const b = file("b", cfg("ctx-b", [["two", "https://b.example"]], [["ctx-b", "two"]]));
    expect(loadKubeConfig({ kubeconfig: b, env: { KUBECONFIG: a } }).context).toBe("ctx-b");
    const missing = (() => {
      try {
        loadKubeConfig({ kubeconfig: join(dir, "nope"), env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(KubeError);
    expect((missing as KubeError).code).toBe("config");
    expect(() => loadKubeConfig({ kubeconfig: b, context: "ctx-z", env: {} })).toThrow(
      `context "ctx-z" does not exist in ${b}`,
    );
  });

  it("uses ~/.kube/config when KUBECONFIG is unset, and says where it looked when nothing is there", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".kube"), { recursive: true });
    expect(() => loadKubeConfig({ env: { HOME: home }, serviceAccountDir: join(dir, "sa") })).toThrow(
      /no kubeconfig context found \(looked at .*\.kube\/config\)/,
    );
    writeFileSync(join(home, ".kube/config"), cfg("h", [["c", "https://home.example"]], [["h", "c"]]));
    expect(loadKubeConfig({ env: { HOME: home } }).cluster.server).toBe("https://home.example");
  });
});

describe("in-cluster service account", () => {
  it("builds https://HOST:PORT with the mounted CA, namespace and token", async () => {
    const sa = join(dir, "sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "sa-token-123");
    writeFileSync(join(sa, "namespace"), "audit");
    writeFileSync(join(sa, "ca.crt"), "");
    const c = loadKubeConfig({
      env: {
        HOME: join(dir, "nohome"),
        KUBERNETES_SERVICE_HOST: "10.96.0.1",
        KUBERNETES_SERVICE_PORT: "443",
      },
      serviceAccountDir: sa,
    });
    expect(c.source).toBe("in-cluster");
    expect(c.cluster.server).toBe("https://10.96.0.1:443");
    expect(c.namespace).toBe("audit");
    const opts: { headers?: Record<string, string> } = {};
    await c.kc.applyToHTTPSOptions(opts);
    expect(opts.headers?.Authorization).toBe("Bearer sa-token-123");
  });
});

describe("users that authenticate", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("runs an exec credential plugin and sends its token", async () => {
    h = await harness({ tokens: { "from-exec": "exec-user" } });
    const plugin = file(
      "plugin.mjs",
      `process.stdout.write(JSON.stringify({apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: {token: "from-exec"}}));`,
    );
    chmodSync(plugin, 0o755);
    const kc = file(
      "exec-config",
      h.server
        .kubeconfig()
        .replace(
          "user: {}",
          `user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(plugin)}], interactiveMode: Never}}`,
        ),
    );
    const client = ClusterClient.fromKubeConfig({ kubeconfig: kc, env: {} });
    const d = await client.discover();
    expect(d.find({ group: "", kind: "Pod" })).toBeDefined();
    expect(h.server.log.map((e) => e.user)).toEqual(["exec-user", "exec-user"]);
  });

  it("refuses http:// without insecure-skip-tls-verify, as client-node does, with a config error", async () => {
    h = await harness();
    const kc = file("plain", h.server.kubeconfig().replace(", insecure-skip-tls-verify: true", ""));
    const err = (await ClusterClient.fromKubeConfig({ kubeconfig: kc, env: {} })
      .discover()
      .catch((e: unknown) => e)) as KubeError;
    expect(err.code).toBe("config");
    expect(err.message).toContain("HTTP protocol is not allowed");
  });
});
