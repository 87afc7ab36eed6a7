/**
 * Signs a Docker image manifest schema 1 the way docker/libtrust does ("pretty JWS", ES256), so a
 * real registry accepts the push (registry 2.8 with `compatibility.schema1.enabled`).
 *
 * Format (https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/manifest-v2-1.md#signed-manifests
 * and libtrust jsonsign.go `NewJSONSignature`/`PrettySignature`, https://github.com/docker/libtrust):
 * - the payload is the manifest pretty-printed with a 3-space indent;
 * - `formatLength` is the payload length up to the last non-space byte before the closing `}`;
 *   `formatTail` is the rest (base64url), both in the protected header with a `time`;
 * - the signature (ES256: raw r||s, 64 bytes) covers `protected + "." + base64url(payload)`;
 * - the output is payload[:formatLength] + `,\n   "signatures": ` + the signatures array
 *   pretty-printed with the same indent (every line after the first prefixed by it) + `\n}`.
 * The manifest digest registries report is the sha256 of the payload without the signatures.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

const INDENT = "   ";
/** Fixed so the protected header (and the payload digest) is the same on every run. */
const SIGN_TIME = "2020-01-01T00:00:00Z";

export function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(data: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * libtrust key id: sha256 of the DER SubjectPublicKeyInfo, first 240 bits, base32, in 12 groups of 4
 * joined by ":" (libtrust util.go `keyIDFromCryptoKey`).
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  const hash = createHash("sha256").update(der).digest().subarray(0, 30);
  return (base32(hash).match(/.{4}/g) ?? []).join(":");
}

export interface Schema1Layer {
  /** Digest of the (gzip) layer blob. */
  blobSum: string;
  /** The v1 image JSON of this layer, as an object (stringified into v1Compatibility). */
  v1Compatibility: Record<string, unknown>;
}

export interface Schema1Manifest {
  /** The signed bytes to PUT with Content-Type application/vnd.docker.distribution.manifest.v1+prettyjws. */
  bytes: Buffer;
  /** The payload without signatures; its sha256 is what the registry reports as the digest. */
  payload: Buffer;
}

/**
 * Builds and signs a schema 1 manifest. Layers are listed newest first, as schema 1 wants
 * (fsLayers[0] / history[0] is the top layer).
 */
export function signedSchema1(
  name: string,
  tag: string,
  architecture: string,
  layers: readonly Schema1Layer[],
  key: KeyObject = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
): Schema1Manifest {
  const body = {
    schemaVersion: 1,
    name,
    tag,
    architecture,
    fsLayers: layers.map((l) => ({ blobSum: l.blobSum })),
    history: layers.map((l) => ({ v1Compatibility: JSON.stringify(l.v1Compatibility) })),
  };
  const payload = JSON.stringify(body, null, INDENT.length);
  const closeIndex = payload.lastIndexOf("}");
  let last = closeIndex - 1;
  while (last >= 0 && /\s/.test(payload[last] ?? "")) last--;
  const formatLength = last + 1;
  const formatTail = payload.slice(formatLength);

  const publicKey = createPublicKey(key);
  const jwk = publicKey.export({ format: "jwk" });
  const protectedHeader = base64url(
    JSON.stringify({ formatLength, formatTail: base64url(formatTail), time: SIGN_TIME }),
  );
  const signature = sign("sha256", Buffer.from(`${protectedHeader}.${base64url(payload)}`), {
    key,
    dsaEncoding: "ieee-p1363",
  });
  const signatures = [
    {
      header: {
        jwk: { crv: jwk.crv, kid: libtrustKeyId(publicKey), kty: jwk.kty, x: jwk.x, y: jwk.y },
        alg: "ES256",
      },
      signature: base64url(signature),
      protected: protectedHeader,
    },
  ];
  const sigJson = JSON.stringify(signatures, null, INDENT.length)
    .split("\n")
    .map((line, i) => (i === 0 ? line : INDENT + line))
    .join("\n");
  const signed = `${payload.slice(0, formatLength)},\n${INDENT}"signatures": ${sigJson}\n}`;
  return { bytes: Buffer.from(signed, "utf8"), payload: Buffer.from(payload, "utf8") };
}
