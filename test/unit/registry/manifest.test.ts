import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MediaTypes } from "../../../src/core/image.js";
import { RegistryError } from "../../../src/registry/errors.js";
import {
  computeDigest,
  MANIFEST_ACCEPT,
  parseConfig,
  parseManifest,
  schema1PayloadDigest,
  simpleContentType,
} from "../../../src/registry/manifest.js";
import { parseRetryAfter } from "../../../src/registry/transport.js";
import { signSchema1 } from "../../real/harness/push.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const buf = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));
const parse = (v: unknown, ct?: string) => parseManifest(buf(v), ct, "sha256:x", "test");

describe("parseManifest", () => {
  it("reads a Docker v2s2 manifest", () => {
    const m = parse(
      {
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, digest: D("a"), size: 10 },
        layers: [{ mediaType: MediaTypes.dockerForeignGzip, digest: D("b"), size: 5, urls: ["https://x/y"] }],
      },
      MediaTypes.dockerManifest,
    );
    expect(m).toMatchObject({
      kind: "manifest",
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      contentType: MediaTypes.dockerManifest,
      config: { digest: D("a"), size: 10 },
      layers: [{ digest: D("b"), urls: ["https://x/y"] }],
      fields: ["schemaVersion", "mediaType", "config", "layers"],
    });
  });

  it("reads an OCI index with platforms, annotations and an attestation entry", () => {
    const m = parse({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [
        {
          mediaType: MediaTypes.ociManifest,
          digest: D("1"),
          size: 1,
          platform: { os: "linux", architecture: "arm64", variant: "v8" },
        },
        {
          mediaType: MediaTypes.ociManifest,
          digest: D("2"),
          size: 2,
          platform: {
            os: "windows",
            architecture: "amd64",
            "os.version": "10.0.20348.1",
            "os.features": ["win32k", 3],
          },
        },
        {
          mediaType: MediaTypes.ociManifest,
          digest: D("3"),
          size: 3,
          platform: { os: "unknown", architecture: "unknown" },
          annotations: { "vnd.docker.reference.type": "attestation-manifest", n: 1 },
        },
      ],
    });
    expect(m.kind).toBe("index");
    expect(m.manifests?.[0]?.platform).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(m.manifests?.[1]?.platform).toEqual({
      os: "windows",
      architecture: "amd64",
      "os.version": "10.0.20348.1",
      "os.features": ["win32k"],
    });
    expect(m.manifests?.[2]?.annotations).toEqual({ "vnd.docker.reference.type": "attestation-manifest" });
  });

  it("judges kind from fields, not Content-Type", () => {
    expect(parse({ schemaVersion: 2, layers: [], config: {} }, MediaTypes.ociIndex).kind).toBe("manifest");
    expect(parse({ schemaVersion: 2, manifests: [] }, "text/plain").kind).toBe("index");
    expect(parse({ schemaVersion: 2, config: { digest: D("a"), size: 1 } }).kind).toBe("manifest");
    expect(parse({ schemaVersion: 2, layers: [], manifests: [] }).kind).toBe("unknown");
    expect(parse({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, layers: [], manifests: [] }).kind).toBe(
      "index",
    );
    expect(parse({ mediaType: MediaTypes.ociArtifactManifest, blobs: [] }).kind).toBe("unknown");
    expect(parse({ hello: "world" }).kind).toBe("unknown");
  });

  it("reads OCI 1.1 artifact fields", () => {
    const m = parse({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: "application/spdx+json",
      config: { mediaType: MediaTypes.ociEmpty, digest: D("4"), size: 2 },
      layers: [],
      subject: { mediaType: MediaTypes.ociManifest, digest: D("5"), size: 9 },
      annotations: { "org.opencontainers.image.created": "2020" },
    });
    expect(m).toMatchObject({
      kind: "manifest",
      artifactType: "application/spdx+json",
      subject: { digest: D("5") },
    });
    expect(m.annotations).toEqual({ "org.opencontainers.image.created": "2020" });
  });

  it("marks schema 1 signed/unsigned and reads fsLayers", () => {
    const { body } = signSchema1("t/s1", "latest", D("c"));
    const signed = parseManifest(Buffer.from(body), MediaTypes.dockerSchema1Signed, "sha256:x", "t");
    expect(signed).toMatchObject({
      kind: "schema1",
      signed: true,
      schemaVersion: 1,
      schema1Architecture: "amd64",
    });
    expect(signed.layers).toEqual([{ digest: D("c"), size: -1 }]);
    const unsigned = parse({
      schemaVersion: 1,
      name: "a",
      tag: "b",
      architecture: "arm",
      fsLayers: [],
      history: [],
    });
    expect(unsigned).toMatchObject({ kind: "schema1", signed: false, schema1Architecture: "arm" });
  });

  it("keeps malformed descriptors visible", () => {
    const m = parse({ schemaVersion: 2, config: { digest: 5 }, layers: ["x"] });
    expect(m.config).toEqual({ digest: "", size: -1 });
    expect(m.layers).toEqual([{ digest: "", size: -1 }]);
  });

  it("throws an invalid RegistryError on non-JSON or non-object bodies", () => {
    for (const body of ["{truncated", "[1,2]", "null", "42", ""]) {
      let err: unknown;
      try {
        parseManifest(Buffer.from(body), undefined, "sha256:x", "registry r repository p");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).kind).toBe("invalid");
      expect((err as RegistryError).message).toContain("registry r repository p");
    }
  });
});

describe("digests", () => {
  it("computes with the algorithm of the expected digest", () => {
    const b = Buffer.from("hello");
    expect(computeDigest(b)).toBe(`sha256:${createHash("sha256").update(b).digest("hex")}`);
    expect(computeDigest(b, `sha512:${"0".repeat(128)}`)).toBe(
      `sha512:${createHash("sha512").update(b).digest("hex")}`,
    );
  });

  it("identifies a signed schema 1 manifest by its payload without signatures", () => {
    const { body, payload } = signSchema1("t/s1", "v1", D("d"));
    const payloadDigest = `sha256:${createHash("sha256").update(payload).digest("hex")}`;
    expect(schema1PayloadDigest(Buffer.from(body))).toBe(payloadDigest);
    expect(computeDigest(Buffer.from(body))).not.toBe(payloadDigest);
    expect(schema1PayloadDigest(Buffer.from(payload))).toBeUndefined();
    expect(schema1PayloadDigest(Buffer.from("not json"))).toBeUndefined();
  });
});

describe("config", () => {
  it("reads platform and diff_ids count", () => {
    expect(
      parseConfig(
        buf({
          os: "linux",
          architecture: "arm",
          variant: "v7",
          rootfs: { type: "layers", diff_ids: [D("a"), D("b")] },
        }),
      ),
    ).toEqual({ platform: { os: "linux", architecture: "arm", variant: "v7" }, diffIdCount: 2 });
    expect(parseConfig(buf({}))).toEqual({});
    expect(() => parseConfig(Buffer.from("\0wasm"))).toThrow(/not valid JSON/);
  });
});

describe("headers", () => {
  it("asks for every manifest type either runtime understands, in one header", () => {
    for (const t of [
      MediaTypes.ociManifest,
      MediaTypes.ociIndex,
      MediaTypes.dockerManifest,
      MediaTypes.dockerList,
      MediaTypes.dockerSchema1Signed,
      MediaTypes.dockerSchema1,
    ]) {
      expect(MANIFEST_ACCEPT.split(", ")).toContain(t);
    }
  });

  it("strips Content-Type parameters", () => {
    expect(simpleContentType("Application/JSON; charset=utf-8")).toBe("application/json");
    expect(simpleContentType(undefined)).toBeUndefined();
    expect(simpleContentType("")).toBeUndefined();
  });

  it("parses Retry-After seconds and HTTP-dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
