import { describe, expect, it } from "vitest";
import { Authenticator, type Endpoint } from "../../../src/registry/auth.js";
import { CredentialStore } from "../../../src/registry/credentials.js";
import { RegistryError } from "../../../src/registry/errors.js";
import { Redactor } from "../../../src/registry/redact.js";
import type { SendRequest, SendResult, Transport } from "../../../src/registry/transport.js";

/** A token endpoint double: records requests, answers with numbered tokens. */
function fakeTransport(expiresIn?: number) {
  const requests: SendRequest[] = [];
  let n = 0;
  const t = {
    async send(req: SendRequest): Promise<SendResult> {
      requests.push(req);
      n++;
      const body = Buffer.from(
        JSON.stringify({ token: `tok-${n}-xxxxxxxx`, ...(expiresIn ? { expires_in: expiresIn } : {}) }),
      );
      return { status: 200, headers: {}, body, exceeded: false, size: body.length, finalUrl: req.url };
    },
  };
  return { transport: t as unknown as Transport, requests };
}

const ep = (base: string, insecure = false): Endpoint => ({
  name: new URL(base).host,
  base: new URL(base),
  insecure,
});
const bearer = (realm: string) => ({
  "www-authenticate": `Bearer realm="${realm}",service="svc",scope="repository:a/b:pull"`,
});

describe("Authenticator", () => {
  it("sends nothing before the first challenge, then fetches one token per scope and reuses it until expiry", async () => {
    let now = 1_000_000;
    const { transport, requests } = fakeTransport(120);
    const auth = new Authenticator(transport, new CredentialStore(), new Redactor(), () => now);
    const e = ep("https://reg.example.com");
    expect(await auth.authorization(e, "a/b")).toBeUndefined();
    const h = await auth.onUnauthorized(e, "a/b", bearer("https://auth.example.com/token"), undefined);
    expect(h).toBe("Bearer tok-1-xxxxxxxx");
    expect(requests).toHaveLength(1);
    const url = requests[0]!.url;
    expect(url.origin + url.pathname).toBe("https://auth.example.com/token");
    expect(url.searchParams.get("service")).toBe("svc");
    expect(url.searchParams.getAll("scope")).toEqual(["repository:a/b:pull"]);
    expect(requests[0]!.authorization).toBeUndefined();
    now += 100_000; // 100 s of 120: still valid (with the 5 s margin)
    expect(await auth.authorization(e, "a/b")).toBe("Bearer tok-1-xxxxxxxx");
    expect(await auth.authorization(e, "c/d")).toBe("Bearer tok-2-xxxxxxxx");
    now += 16_000; // 116 s: inside the renewal margin
    expect(await auth.authorization(e, "a/b")).toBe("Bearer tok-3-xxxxxxxx");
    expect(requests).toHaveLength(3);
  });

  it("defaults expires_in to 60 s", async () => {
    let now = 0;
    const { transport, requests } = fakeTransport();
    const auth = new Authenticator(transport, new CredentialStore(), new Redactor(), () => now);
    const e = ep("https://reg.example.com");
    await auth.onUnauthorized(e, "a/b", bearer("https://auth.example.com/token"), undefined);
    now = 50_000;
    await auth.authorization(e, "a/b");
    expect(requests).toHaveLength(1);
    now = 56_000;
    await auth.authorization(e, "a/b");
    expect(requests).toHaveLength(2);
  });

  it("uses Basic credentials at the token realm and registers the token for redaction", async () => {
    const { transport, requests } = fakeTransport();
    const redactor = new Redactor();
    const creds = new CredentialStore().add("reg.example.com", {
      username: "u",
      password: "pw-secret",
      source: "s",
    });
    const auth = new Authenticator(transport, creds, redactor);
    await auth.onUnauthorized(
      ep("https://reg.example.com"),
      "a/b",
      bearer("https://auth.example.com/token"),
      undefined,
    );
    expect(requests[0]!.authorization).toBe(`Basic ${Buffer.from("u:pw-secret").toString("base64")}`);
    expect(requests[0]!.url.searchParams.get("account")).toBe("u");
    expect(redactor.redact("x tok-1-xxxxxxxx y")).toBe("x [REDACTED] y");
  });

  it("refuses a plain-HTTP realm for a registry not listed as insecure, and any credentials over HTTP", async () => {
    const { transport, requests } = fakeTransport();
    const creds = new CredentialStore().add("reg.example.com", {
      username: "u",
      password: "pw-secret",
      source: "s",
    });
    const auth = new Authenticator(transport, new CredentialStore(), new Redactor());
    await expect(
      auth.onUnauthorized(
        ep("https://reg.example.com"),
        "a/b",
        bearer("http://auth.example.com/token"),
        undefined,
      ),
    ).rejects.toMatchObject({ kind: "insecure" });
    const withCreds = new Authenticator(transport, creds, new Redactor());
    await expect(
      withCreds.onUnauthorized(
        ep("https://reg.example.com"),
        "a/b",
        bearer("http://auth.example.com/token"),
        undefined,
      ),
    ).rejects.toMatchObject({ kind: "insecure" });
    // Insecure registry over HTTP: anonymous token only, even with credentials on file.
    const plain = new Authenticator(transport, creds, new Redactor());
    const h = await plain.onUnauthorized(
      ep("http://reg.example.com", true),
      "a/b",
      bearer("http://auth.example.com/token"),
      undefined,
    );
    expect(h).toMatch(/^Bearer /);
    expect(requests.every((r) => r.authorization === undefined)).toBe(true);
    // Basic challenge over HTTP with credentials: refused, never sent.
    await expect(
      plain.onUnauthorized(
        ep("http://reg.example.com", true),
        "a/b",
        { "www-authenticate": 'Basic realm="r"' },
        undefined,
      ),
    ).rejects.toMatchObject({ kind: "insecure" });
  });

  it("exchanges an identity token by POST", async () => {
    const { transport, requests } = fakeTransport();
    const creds = new CredentialStore().add("reg.example.com", {
      identityToken: "refresh-secret",
      source: "s",
    });
    const auth = new Authenticator(transport, creds, new Redactor());
    await auth.onUnauthorized(
      ep("https://reg.example.com"),
      "a/b",
      bearer("https://auth.example.com/token"),
      undefined,
    );
    expect(requests[0]!.method).toBe("POST");
    const form = new URLSearchParams(requests[0]!.body);
    expect(Object.fromEntries(form)).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: "refresh-secret",
      service: "svc",
      scope: "repository:a/b:pull",
    });
  });

  it("gives up with an auth error when nothing new can be sent; names a credential helper", async () => {
    const { transport } = fakeTransport();
    const creds = new CredentialStore().addHelper("reg.example.com", "ecr-login");
    const auth = new Authenticator(transport, creds, new Redactor());
    const err = await auth
      .onUnauthorized(
        ep("https://reg.example.com"),
        "a/b",
        { "www-authenticate": 'Basic realm="r"' },
        undefined,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("auth");
    expect((err as RegistryError).message).toMatch(/credential helper "ecr-login".*not supported/);
    const none = await auth
      .onUnauthorized(ep("https://reg.example.com"), "a/b", {}, undefined)
      .catch((e: unknown) => e);
    expect((none as RegistryError).message).toMatch(/no WWW-Authenticate challenge/);
  });
});
