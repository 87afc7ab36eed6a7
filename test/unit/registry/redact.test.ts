import { describe, expect, it } from "vitest";
import { REDACTED, Redactor, redactPatterns, safeUrl } from "../../../src/registry/redact.js";

describe("Redactor", () => {
  it("removes known secrets in plain, base64, base64url and URL-encoded forms", () => {
    const r = new Redactor();
    r.addBasic("alice", "s3cr3t/p+w=");
    r.add("tok-123456");
    const basic = Buffer.from("alice:s3cr3t/p+w=").toString("base64");
    const text = `pw=s3cr3t/p+w= basic=${basic} b64=${Buffer.from("s3cr3t/p+w=").toString("base64")} url=${encodeURIComponent("s3cr3t/p+w=")} token tok-123456 end`;
    const out = r.redact(text);
    for (const leaked of ["s3cr3t", basic, "tok-123456", encodeURIComponent("s3cr3t/p+w=")])
      expect(out).not.toContain(leaked);
    expect(out).toContain(REDACTED);
    expect(out).toMatch(/end$/);
  });

  it("ignores very short secrets so ordinary text survives", () => {
    const r = new Redactor();
    r.add("a");
    expect(r.redact("a registry")).toBe("a registry");
  });
});

describe("redactPatterns", () => {
  it.each([
    ["Authorization: Basic YWxpY2U6c2VjcmV0", "YWxpY2U6c2VjcmV0"],
    ["authorization: bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"],
    ["jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here", "eyJhbGciOiJFUzI1NiJ9"],
    ["https://s3/x?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA", "deadbeef"],
    ["https://h/token?access_token=zzz&scope=a", "zzz"],
    ['{"token":"t0ken-value","expires_in":60}', "t0ken-value"],
    ["https://user:pa55@reg.example.com/v2/", "pa55"],
  ])("%s", (text, secret) => {
    const out = redactPatterns(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it("leaves ordinary registry messages alone", () => {
    const m = "registry quay.io repository a/b manifest v1: not found (404 MANIFEST_UNKNOWN)";
    expect(redactPatterns(m)).toBe(m);
  });
});

describe("safeUrl", () => {
  it("drops user-info and secret query parameters, keeps service and scope", () => {
    expect(
      safeUrl("https://u:p@auth.example.com/token?service=reg&scope=repository:a:pull&account=u&password=x"),
    ).toBe("https://auth.example.com/token?service=reg&scope=repository%3Aa%3Apull");
    expect(safeUrl("https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc&X-Amz-Expires=60")).toBe(
      "https://bucket.s3.amazonaws.com/blob",
    );
  });
});
