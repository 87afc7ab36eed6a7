import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  CredentialError,
  CredentialStore,
  credentialsFromDockerConfig,
  credentialsFromSecret,
  loadDockerConfig,
  parseCredentialKey,
} from "../../../src/registry/credentials.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("credential keys", () => {
  it.each([
    ["https://index.docker.io/v1/", "docker.io", ""],
    ["index.docker.io", "docker.io", ""],
    ["registry-1.docker.io", "docker.io", ""],
    ["docker.io", "docker.io", ""],
    ["https://reg.example.com:5000/v2/", "reg.example.com:5000", ""],
    ["http://reg.example.com/team/", "reg.example.com", "team"],
    ["Quay.IO/org/sub", "quay.io", "org/sub"],
  ])("%s", (key, host, path) => {
    expect(parseCredentialKey(key)).toEqual({ host, path });
  });
});

describe("credentialsFromDockerConfig", () => {
  const config = {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hub:pass:with:colons") },
      "reg.example.com": { username: "u2", password: "p2-secret" },
      "reg.example.com/team": { auth: b64("teamuser:team-secret") },
      "*.corp.io": { auth: b64("wild:wild-secret") },
      "idp.example.com": { identitytoken: "refresh-abc" },
      "tok.example.com": { registrytoken: "bearer-xyz" },
      "empty.example.com": {},
    },
    credHelpers: { "123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
  };
  const store = credentialsFromDockerConfig(config, "test config");

  it("decodes auth (password may contain colons) and maps every Docker Hub alias", () => {
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io"]) {
      expect(store.lookup(host, "library/nginx")).toMatchObject({
        username: "hubuser",
        password: "hub:pass:with:colons",
      });
    }
  });

  it("prefers the longest path prefix, then falls back to the host", () => {
    expect(store.lookup("reg.example.com", "team/app")?.username).toBe("teamuser");
    expect(store.lookup("reg.example.com", "teamster/app")?.username).toBe("u2");
    expect(store.lookup("reg.example.com", "other")?.username).toBe("u2");
  });

  it("matches one-label globs only", () => {
    expect(store.lookup("a.corp.io", "x")?.username).toBe("wild");
    expect(store.lookup("a.b.corp.io", "x")).toBeUndefined();
    expect(store.lookup("corp.io", "x")).toBeUndefined();
  });

  it("keeps identity and registry tokens; ignores empty entries; reports helpers", () => {
    expect(store.lookup("idp.example.com")).toMatchObject({ identityToken: "refresh-abc" });
    expect(store.lookup("tok.example.com")).toMatchObject({ registryToken: "bearer-xyz" });
    expect(store.lookup("empty.example.com")).toBeUndefined();
    expect(store.helperFor("123.dkr.ecr.us-east-1.amazonaws.com")).toBe("ecr-login");
    expect(store.helperFor("quay.io")).toBeUndefined();
    expect(credentialsFromDockerConfig({ auths: {}, credsStore: "desktop" }).helperFor("quay.io")).toBe(
      "desktop",
    );
  });

  it("lists every secret for redaction", () => {
    const secrets = store.secrets();
    for (const s of [
      "hub:pass:with:colons",
      "p2-secret",
      "team-secret",
      "refresh-abc",
      "bearer-xyz",
      "u2:p2-secret",
    ]) {
      expect(secrets).toContain(s);
    }
  });

  it("accepts the legacy bare map and rejects bad shapes without echoing secrets", () => {
    expect(
      credentialsFromDockerConfig({ "quay.io": { auth: b64("a:b-secret") } }).lookup("quay.io")?.password,
    ).toBe("b-secret");
    expect(() => credentialsFromDockerConfig([])).toThrow(CredentialError);
    expect(() => credentialsFromDockerConfig({ auths: [] })).toThrow(/"auths" must be an object/);
    let msg = "";
    try {
      credentialsFromDockerConfig({ auths: { "q.io": { auth: b64("nocolonsecret") } } });
    } catch (e) {
      msg = String(e);
    }
    expect(msg).toMatch(/q\.io/);
    expect(msg).not.toContain("nocolonsecret");
    expect(msg).not.toContain(b64("nocolonsecret"));
  });
});

describe("credentialsFromSecret", () => {
  it("reads kubernetes.io/dockerconfigjson", () => {
    const data = {
      ".dockerconfigjson": b64(JSON.stringify({ auths: { "ghcr.io": { auth: b64("bot:ghp_secret") } } })),
    };
    const s = credentialsFromSecret("kubernetes.io/dockerconfigjson", data);
    expect(s.lookup("ghcr.io", "org/app")).toMatchObject({ username: "bot", password: "ghp_secret" });
  });

  it("reads legacy kubernetes.io/dockercfg (bare map)", () => {
    const data = {
      ".dockercfg": b64(
        JSON.stringify({
          "https://index.docker.io/v1/": { username: "x", password: "y-pass", email: "e@x" },
        }),
      ),
    };
    expect(credentialsFromSecret("kubernetes.io/dockercfg", data).lookup("docker.io")).toMatchObject({
      username: "x",
      password: "y-pass",
    });
  });

  it("errors on missing keys or non-JSON, gives an empty store for other types", () => {
    expect(() => credentialsFromSecret("kubernetes.io/dockerconfigjson", {})).toThrow(/missing data key/);
    expect(() =>
      credentialsFromSecret("kubernetes.io/dockercfg", { ".dockercfg": b64("{not json secretvalue") }),
    ).toThrow(/not valid JSON/);
    try {
      credentialsFromSecret("kubernetes.io/dockercfg", { ".dockercfg": b64("{not json secretvalue") });
    } catch (e) {
      expect(String(e)).not.toContain("secretvalue");
    }
    expect(credentialsFromSecret("Opaque", { a: "b" }).size).toBe(0);
  });

  it("merges stores: earlier stores win for the same key", () => {
    const a = new CredentialStore().add("q.io", { username: "a", password: "pa-secret", source: "a" });
    const b = new CredentialStore().add("q.io", { username: "b", password: "pb-secret", source: "b" });
    expect(a.merge(b).lookup("q.io")?.username).toBe("a");
    expect(
      a
        .merge(b)
        .lookupAll("q.io")
        .map((c) => c.username),
    ).toEqual(["a", "b"]);
  });
});

describe("loadDockerConfig", () => {
  it("reads an explicit path, DOCKER_CONFIG, and tolerates a missing default", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kra-dockercfg-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { "q.io": { auth: b64("u:p-secret") } } }),
    );
    expect((await loadDockerConfig(join(dir, "config.json"))).lookup("q.io")?.username).toBe("u");
    expect((await loadDockerConfig(undefined, { DOCKER_CONFIG: dir })).lookup("q.io")?.password).toBe(
      "p-secret",
    );
    expect((await loadDockerConfig(undefined, { DOCKER_CONFIG: join(dir, "missing") })).size).toBe(0);
    await expect(loadDockerConfig(join(dir, "nope.json"))).rejects.toThrow(/cannot read \(ENOENT\)/);
    await writeFile(join(dir, "bad.json"), "{ broken p-secret");
    await expect(loadDockerConfig(join(dir, "bad.json"))).rejects.toThrow(/not valid JSON/);
  });
});
