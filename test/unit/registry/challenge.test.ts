import { describe, expect, it } from "vitest";
import { parseWwwAuthenticate } from "../../../src/registry/challenge.js";

describe("parseWwwAuthenticate", () => {
  it("parses a Docker Hub bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
        },
      },
    ]);
  });

  it("keeps commas and escaped quotes inside quoted values", () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="https://a/t?x=1,2",scope="repository:a:pull,push", error="say \\"hi\\""',
    );
    expect(c?.params).toEqual({
      realm: "https://a/t?x=1,2",
      scope: "repository:a:pull,push",
      error: 'say "hi"',
    });
  });

  it("splits several challenges in one header and lowercases names", () => {
    const out = parseWwwAuthenticate(
      'Basic realm="Registry Realm", Bearer Realm="https://t/token",Service=reg',
    );
    expect(out).toEqual([
      { scheme: "basic", params: { realm: "Registry Realm" } },
      { scheme: "bearer", params: { realm: "https://t/token", service: "reg" } },
    ]);
  });

  it("accepts bare (unquoted) values, spaces around '=' and an array of headers", () => {
    expect(
      parseWwwAuthenticate(["Basic realm = x", "Bearer realm=https://t:8443/token , service=s"]),
    ).toEqual([
      { scheme: "basic", params: { realm: "x" } },
      { scheme: "bearer", params: { realm: "https://t:8443/token", service: "s" } },
    ]);
  });

  it("handles a scheme with no parameters and a token68", () => {
    expect(parseWwwAuthenticate("Negotiate")).toEqual([{ scheme: "negotiate", params: {} }]);
    expect(parseWwwAuthenticate("Negotiate abc123==")).toEqual([
      { scheme: "negotiate", params: {}, token68: "abc123==" },
    ]);
  });

  it("never hangs or throws on garbage", () => {
    for (const h of ["", ",,,", '"', "=", 'Bearer realm="unterminated', "Bearer ,, realm", "@@@ ###"]) {
      expect(() => parseWwwAuthenticate(h)).not.toThrow();
    }
    expect(parseWwwAuthenticate('Bearer realm="unterminated')[0]?.params.realm).toBe("unterminated");
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
  });
});
