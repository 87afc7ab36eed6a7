/**
 * Reproducible image bytes made in TypeScript: ustar archives (fixed mtime, uid/gid 0, sorted
 * entries), gzip and zstd compression, and sha256 digests. Same input, same bytes, same digests on
 * every run, so crafted images keep their digests across runs.
 * Tar format: POSIX ustar, https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html#tag_20_94_13_06
 */
import { createHash } from "node:crypto";
import { gzipSync, zstdCompressSync } from "node:zlib";

export interface TarEntry {
  /** Relative path; directories end with "/". */
  path: string;
  /** File content; omitted for directories. */
  content?: string | Uint8Array;
  mode?: number;
}

/** 2020-01-01T00:00:00Z: every entry gets this mtime. */
export const FIXED_MTIME = 1_577_836_800;

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(path: string, size: number, mode: number, type: "0" | "5"): Buffer {
  const h = Buffer.alloc(512, 0);
  const name = Buffer.from(path, "utf8");
  if (name.length > 100) throw new Error(`tar path too long for this writer: ${path}`);
  name.copy(h, 0);
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(FIXED_MTIME, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  h.write(type, 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

/** An uncompressed tar of the entries, sorted by path, ending with two zero blocks. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (e.path.endsWith("/")) {
      parts.push(header(e.path, 0, e.mode ?? 0o755, "5"));
      continue;
    }
    const data =
      typeof e.content === "string" ? Buffer.from(e.content, "utf8") : Buffer.from(e.content ?? []);
    parts.push(header(e.path, data.length, e.mode ?? 0o644, "0"), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/** gzip with no name and mtime 0 (what `gzip -n` does), so output is stable. */
export function gzip(data: Uint8Array): Buffer {
  return gzipSync(data, { level: 9 });
}

/** zstd via Node's zlib (Node >= 22.15 / 23.8 ships zstd). */
export function zstd(data: Uint8Array): Buffer {
  return zstdCompressSync(data);
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Canonical-enough JSON bytes (key order as written) for configs and manifests. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

export interface Layer {
  /** The uncompressed tar; its sha256 is the diff_id. */
  tar: Buffer;
  diffId: string;
  gzip: Buffer;
  zstd: Buffer;
}

export function makeLayer(entries: readonly TarEntry[]): Layer {
  const t = tar(entries);
  return { tar: t, diffId: sha256(t), gzip: gzip(t), zstd: zstd(t) };
}
