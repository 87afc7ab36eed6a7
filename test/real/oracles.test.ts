/**
 * The oracles on their own: real containerd CRI PullImage and real `podman pull` over every crafted
 * image, checked against what we know of them. For the images in the infra study's result table
 * (a–h and the mixed ones; registry 2.8.2, containerd 1.6.20, podman 4.3.1 = containers/image 5.23),
 * the expectations below are that table. The others (Docker zstd, amd64 variants, attestations,
 * single arm64, encrypted, unknown and non-distributable layers, the >4 MiB manifest) cite the code
 * that explains the outcome. If one of these fails, the oracle changed (another containerd/podman
 * version) and the differential test would be comparing against something else: fix this first.
 */
import { describe, expect, inject, test } from "vitest";
import { imageRules } from "../../src/rules/image/index.js";
import { fetchRequestLog } from "./harness/blob-server.js";
import { CATALOGUE, OVERSIZED_MANIFEST_BYTES } from "./harness/crafted.js";
import { CriClient } from "./harness/cri.js";
import { jsonBytes } from "./harness/layers.js";
import { podmanPull } from "./harness/podman.js";
import { pushBlob, putManifest } from "./harness/registry-push.js";

const env = inject("testenv");
const crafted = inject("crafted");

/** gRPC codes containerd's CRI answers with. https://grpc.github.io/grpc/core/md_doc_statuscode.html */
const UNKNOWN = 2;
const NOT_FOUND = 5;

type Outcome = "ok" | { code?: number; message: RegExp };

interface Expectation {
  /** CRI PullImage on this linux/amd64 host (containerd 1.6). */
  cri: Outcome;
  /** podman pull --platform P (containers/image 5.23), per platform. */
  podman: Record<string, Outcome>;
  /** Where the expectation comes from. */
  source: string;
}

const TABLE = "infra study result table (registry 2.8.2 / containerd 1.6.20 / podman 4.3.1)";
const mismatchedRootfs = { code: UNKNOWN, message: /mismatched image rootfs and manifest layers/ };
/** containerd 1.6 unpacks every layer of the manifest and finds no decompressor for the type. */
const noProcessor = (type: string) => ({
  code: UNKNOWN,
  message: new RegExp(`failed to get stream processor for ${type.replace(/[.+/]/g, "\\$&")}`),
});
const artifactCimage = (type: string) => ({
  message: new RegExp(
    `unsupported image-specific operation on artifact with type "${type.replace(/[.+]/g, "\\$&")}"`,
  ),
});

/** An index with no entry either runtime picks for linux/amd64. */
const NO_AMD64_ENTRY: Expectation = {
  cri: { code: NOT_FOUND, message: /no match for platform in manifest/ },
  podman: {
    "linux/amd64": {
      message: /no image found in image index for architecture amd64, variant "", OS linux/,
    },
  },
  source:
    "containerd v1.6 platforms/compare.go Only; containers/image v5.23 internal/pkg/platform/platform_matcher.go",
};

const EXPECTED: Record<string, Expectation> = {
  "a-docker-v2s2": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  "b-oci": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  "c-oci-index": { cri: "ok", podman: { "linux/amd64": "ok", "linux/arm64": "ok" }, source: TABLE },
  "d-docker-list": { cri: "ok", podman: { "linux/amd64": "ok", "linux/arm64": "ok" }, source: TABLE },
  "e-oci-zstd": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  "e2-docker-zstd": {
    // containerd 1.6 has no decompressor for the Docker zstd type (added in 2.0, commit d651cb743): the
    // unpack fails at extraction ("no processor for media-type"); c/image < 5.38 rejects it in v2s2.
    cri: noProcessor("application/vnd.docker.image.rootfs.diff.tar.zstd"),
    podman: {
      "linux/amd64": {
        message:
          /unsupported docker v2s2 media type: "application\/vnd\.docker\.image\.rootfs\.diff\.tar\.zstd"/,
      },
    },
    source:
      "containerd v1.6 images/mediatypes.go IsLayerType; containers/image v5.23 manifest/docker_schema2.go",
  },
  "f-helm": {
    cri: mismatchedRootfs,
    podman: { "linux/amd64": artifactCimage("application/vnd.cncf.helm.config.v1+json") },
    source: TABLE,
  },
  "f2-oci11-artifact": {
    cri: mismatchedRootfs,
    // c/image 5.23 names the config media type; `artifactType` only from 5.25 on
    podman: { "linux/amd64": artifactCimage("application/vnd.oci.empty.v1+json") },
    source: TABLE,
  },
  "g-schema1": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  "h-windows": {
    cri: { code: NOT_FOUND, message: /no match for platform in manifest/ },
    podman: {
      "linux/amd64": {
        message: /no image found in manifest list for architecture amd64, variant "", OS linux/,
      },
    },
    source: TABLE,
  },
  "h-windows-single": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  "mixed-oci-docker-config": {
    cri: "ok",
    podman: { "linux/amd64": artifactCimage("application/vnd.docker.container.image.v1+json") },
    source: TABLE,
  },
  "mixed-docker-oci-layer": {
    cri: "ok",
    podman: {
      "linux/amd64": {
        message: /unsupported docker v2s2 media type: "application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip"/,
      },
    },
    source: TABLE,
  },
  "mixed-list-oci-child": { cri: "ok", podman: { "linux/amd64": "ok", "linux/arm64": "ok" }, source: TABLE },
  "mixed-index-docker-child": {
    cri: "ok",
    podman: { "linux/amd64": "ok", "linux/arm64": "ok" },
    source: TABLE,
  },
  "oci-no-mediatype": { cri: "ok", podman: { "linux/amd64": "ok" }, source: TABLE },
  // the host spec carries no amd64 variant, so amd64/v2 and /v3 entries never match (containerd);
  // c/image tries variant "" only for amd64.
  "index-amd64-variants": NO_AMD64_ENTRY,
  "index-attestation": {
    cri: "ok",
    podman: { "linux/amd64": "ok", "linux/arm64": "ok" },
    source: "attestation entries are unknown/unknown, which no platform matcher selects (both runtimes)",
  },
  "single-arm64": {
    // neither runtime checks the platform of a top-level single manifest on pull
    cri: "ok",
    podman: { "linux/amd64": "ok", "linux/arm64": "ok" },
    source:
      "containerd v1.6 images.Manifest (root not platform-checked); containers/image v5.23 copy/single.go",
  },
  "encrypted-layer": {
    // containerd's default stream processor for encrypted layers is the ctd-decoder binary (imgcrypt),
    // which is not installed; c/image has no keys (podman pull --decryption-key not given)
    cri: noProcessor("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"),
    podman: {
      "linux/amd64": { message: /adding layer with blob "sha256:[0-9a-f]{64}": processing tar file/ },
    },
    source:
      "no decryption keys and no ctd-decoder stream processor configured: neither side can unpack ciphertext",
  },
  "size-over-crio-cap": {
    // containerd caps the top-level manifest at 4*1048*1048 = 4,393,216 bytes; c/image at 4 MiB
    cri: "ok",
    podman: { "linux/amd64": { message: /exceeded maximum allowed size of 4194304 bytes/ } },
    source:
      "containerd v1.6 remotes/docker/resolver.go MaxManifestSize; containers/image v5.23 internal/iolimits",
  },
  "unknown-layer-type": {
    // containerd 1.6's unpacker extracts every manifest layer and has no processor for the type;
    // c/image does not validate OCI layer types and sniffs the compression from the bytes
    cri: noProcessor("application/vnd.example.custom.layer.v1.tar+gzip"),
    podman: { "linux/amd64": "ok" },
    source: "measured here (containerd 1.6.20 CRI); containers/image v5.23 pkg/compression DetectCompression",
  },
  "nondistributable-layer": {
    cri: "ok",
    podman: { "linux/amd64": "ok" },
    source:
      "both fetch non-distributable layers from their urls (containerd remotes/docker/fetcher.go, c/image docker_image_src.go)",
  },
  "nondistributable-dead-url": {
    // containerd falls back to the registry only on a 404; c/image 5.23 loses the connection error (a
    // shadowed err in getExternalBlob, fixed in 5.30 by containers/image 321d0ecc) and uses the registry
    cri: { code: UNKNOWN, message: /connect: connection refused/ },
    podman: { "linux/amd64": "ok" },
    source:
      "measured here; containerd core/remotes/docker/fetcher.go, containers/image v5.23.1 docker/docker_client.go",
  },
  "nondistributable-gone-url": {
    // a 404 sends containerd to the registry, which holds the blob; c/image has no registry fallback
    cri: "ok",
    podman: { "linux/amd64": { message: /./ } },
    source: "measured here; containers/image v5.23.1 docker/docker_client.go getExternalBlob",
  },
  "layer-gzip-as-tar": {
    // containerd applies a layer typed uncompressed without decompressing; c/image sniffs the bytes
    cri: { code: UNKNOWN, message: /unexpected EOF/ },
    podman: { "linux/amd64": "ok" },
    source: "measured here; containerd diff/apply, containers/image pkg/compression DetectCompression",
  },
  "layer-zstd-as-gzip": { cri: "ok", podman: { "linux/amd64": "ok" }, source: "measured here (both sniff)" },
  "docker-zstd-as-gzip": { cri: "ok", podman: { "linux/amd64": "ok" }, source: "measured here (both sniff)" },
  "layer-tar-as-gzip": { cri: "ok", podman: { "linux/amd64": "ok" }, source: "measured here (both sniff)" },
  "zstd-chunked-annotations": {
    cri: "ok",
    podman: { "linux/amd64": "ok" },
    source: "measured here (no partial pulls on these nodes: a plain zstd layer)",
  },
  "image-with-artifacttype": {
    cri: "ok",
    podman: { "linux/amd64": "ok" },
    source: "measured here (neither puller reads artifactType of an image manifest)",
  },
  "nested-index": {
    cri: "ok",
    podman: {
      "linux/amd64": {
        message: /Unexpectedly received a manifest list instead of a manifest for a single image/,
      },
      "linux/arm64": {
        message: /Unexpectedly received a manifest list instead of a manifest for a single image/,
      },
    },
    source: "measured here; containerd images.Manifest recurses, containers/image copy refuses nested lists",
  },
  "index-no-platform": { cri: "ok", podman: { "linux/amd64": "ok" }, source: "measured here" },
  // Only(amd64) accepts amd64 and 386; c/image has no cross-architecture fallback
  "index-arm-v7-only": NO_AMD64_ENTRY,
  "index-arm64-no-variant": {
    cri: "ok",
    podman: { "linux/amd64": "ok", "linux/arm64": "ok" },
    source: "measured here (c/image matches arm64/v8 to an entry without variant)",
  },
};

function describeOutcome(r: { ok: boolean; code?: number; message?: string }): string {
  return r.ok ? "ok" : `failed${r.code === undefined ? "" : ` code=${r.code}`}: ${r.message ?? ""}`;
}

function check(actual: { ok: boolean; code?: number; message?: string }, want: Outcome) {
  if (want === "ok") {
    expect(actual.ok, describeOutcome(actual)).toBe(true);
    return;
  }
  expect(actual.ok, `expected a failure matching ${want.message}`).toBe(false);
  if (want.code !== undefined) expect(actual.code, describeOutcome(actual)).toBe(want.code);
  expect(actual.message ?? "").toMatch(want.message);
}

describe("test environment", () => {
  test("globalSetup hands the environment to the workers (inject and process.env)", () => {
    expect(env.regAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(process.env.REG_ADDR).toBe(env.regAddr);
    expect(process.env.CTD_SOCK).toBe(env.ctdSock);
    expect(process.env.TESTENV_DIR).toBe(env.dir);
    expect(crafted.images.map((i) => i.name)).toEqual(CATALOGUE.map((i) => i.name));
  });

  test("every catalogue entry names an existing image rule (or none, for the baselines)", () => {
    const ids = new Set(imageRules.map((r) => r.id));
    for (const image of CATALOGUE) {
      if (image.rule !== null) expect(ids.has(image.rule), `${image.name}: ${image.rule}`).toBe(true);
    }
    expect(new Set(CATALOGUE.map((i) => i.repo)).size).toBe(CATALOGUE.length);
  });

  test("the CRI answers on containerd's socket", async () => {
    const c = new CriClient(env.ctdSock);
    try {
      const v = await c.version();
      expect(v.runtimeName).toBe("containerd");
      expect(v.runtimeApiVersion).toBe("v1");
      expect(v.runtimeVersion).toBe(env.ctdVersion);
    } finally {
      c.close();
    }
  });

  test("registry 2.8 refuses a manifest over 4 MiB, which is why that image lives in the stub registry", async () => {
    const repo = "probe/oversized";
    const cfg = await pushBlob(
      env.regAddr,
      repo,
      jsonBytes({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
    );
    const m: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg },
      layers: [],
      annotations: { pad: "" },
    };
    const base = jsonBytes(m).length;
    m.annotations = { pad: "x".repeat(OVERSIZED_MANIFEST_BYTES - base) };
    const bytes = jsonBytes(m);
    expect(bytes.length).toBe(OVERSIZED_MANIFEST_BYTES);
    const r = await putManifest(
      env.regAddr,
      repo,
      "big",
      "application/vnd.oci.image.manifest.v1+json",
      bytes,
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/MANIFEST_INVALID/);
    expect(r.body).toMatch(/request body too large/);
  });
});

describe.each(crafted.images)("$name ($ref)", (image) => {
  const want = EXPECTED[image.name];

  test("has an expectation", () => {
    expect(want, `add ${image.name} to EXPECTED`).toBeDefined();
  });
  if (!want) return;

  test(`CRI PullImage on containerd ${env.ctdVersion} (linux/amd64 host): ${want.cri === "ok" ? "ok" : "fails"}`, async () => {
    const c = new CriClient(env.ctdSock);
    try {
      const r = await c.pullImage(image.ref);
      check(r, want.cri);
      if (r.ok) {
        // the CRI image id is the config digest; every crafted image has its own config
        const st = await c.imageStatus(image.ref);
        expect(st?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(r.imageRef).toBe(st?.id);
      }
    } finally {
      c.close();
    }
  });

  for (const [platform, outcome] of Object.entries(want.podman)) {
    test(`podman ${env.podman.version} pull --platform ${platform}: ${outcome === "ok" ? "ok" : "fails"}`, async () => {
      const r = await podmanPull(env.dir, image.ref, platform);
      check(r, outcome);
    });
  }
});

describe("foreign and non-distributable layers come from their urls", () => {
  test("containerd and podman fetched the layers from the blob server, which the registry never held", async () => {
    const log = await fetchRequestLog(crafted.blobServer);
    const fetched = new Set(log.filter((r) => r.method === "GET").map((r) => r.path));
    const withUrls = crafted.images.filter(
      (i) => i.name === "h-windows-single" || i.name === "nondistributable-layer",
    );
    expect(withUrls).toHaveLength(2);
    // each of those manifests' url layers must have been fetched at least once
    for (const image of withUrls) {
      const res = await fetch(`http://${image.address}/v2/${image.repo}/manifests/${image.tag}`, {
        headers: { accept: `${image.mediaType}` },
      });
      const m = (await res.json()) as { layers: { digest: string; urls?: string[] }[] };
      const urlLayers = m.layers.filter((l) => l.urls?.length);
      expect(urlLayers.length).toBe(1);
      for (const l of urlLayers) {
        expect(fetched.has(`/blobs/${l.digest}`), `${image.name}: ${l.digest} fetched`).toBe(true);
        const inRegistry = await fetch(`http://${env.regAddr}/v2/${image.repo}/blobs/${l.digest}`, {
          method: "HEAD",
        });
        expect(inRegistry.status).toBe(404);
      }
    }
  });
});
