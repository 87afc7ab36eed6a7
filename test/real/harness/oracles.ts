/**
 * The newer real pullers as oracles (started or fetched by scripts/testenv.sh):
 *
 * - containers/image 5.34 / 5.39 inside skopeo 1.18 / 1.22 (Debian trixie / sid builds, patched onto
 *   sid's loader). `skopeo copy docker://REF containers-storage:[vfs@ROOT+RUN]REF` is the call CRI-O's
 *   PullImage makes (`copy.Image` into containers-storage, layers really applied:
 *   https://github.com/cri-o/cri-o/blob/v1.36.3/internal/storage/image.go). Every pull gets a fresh vfs
 *   storage, the private registries.conf / policy / registries.d that `testenv.sh up` wrote, no
 *   credentials and no retries, inside DIR/bin/isolated-all (c/image's blob-info cache would otherwise
 *   land in /var/lib/containers/cache and decide the next pull).
 * - containerd 1.7 / 2.1: their CRI is driven with CriClient (cri.ts); after a successful pull,
 *   `ctr images check` says whether the image was unpacked. containerd ≥ 1.7 unpacks only manifests whose
 *   config is an image config and whose layers are layer types, so an OCI artifact "pulls" with no
 *   rootfs (https://github.com/containerd/containerd/blob/v1.7.24/pkg/unpack/unpacker.go).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { TestEnv } from "./testenv.js";

export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a kill after `timeoutMs` is reported in stderr, never thrown. */
export function runProc(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 120_000,
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr: signal ? `killed by ${signal} after ${timeoutMs} ms\n${stderr}` : stderr,
      });
    });
  });
}

export interface OraclePull {
  ok: boolean;
  /** containerd ≥ 1.7 only: false when the pull succeeded without making a rootfs. */
  unpacked?: boolean;
  message: string;
}

/** "linux/arm64" -> skopeo's --override-* flags; arm64 nodes report variant v8 to c/image. */
function overrideArgs(platform: string): string[] {
  const [os = "linux", arch = "amd64", variant] = platform.split("/");
  const args = ["--override-os", os, "--override-arch", arch];
  const v = variant ?? (arch === "arm64" ? "v8" : undefined);
  if (v) args.push("--override-variant", v);
  return args;
}

/** A CRI-O-like pull of `ref` for `platform` with the skopeo built on containers/image `oracle.version`. */
export async function skopeoPull(
  env: TestEnv,
  oracle: TestEnv["cimageOracles"][number],
  ref: string,
  platform: string,
): Promise<OraclePull> {
  const store = mkdtempSync(join(env.dir, "oracles", "pull-"));
  const cfg = env.cimageConfigDir;
  try {
    const args = [
      oracle.skopeo,
      "--policy",
      join(cfg, "policy.json"),
      "--registries.d",
      join(cfg, "registries.d"),
      ...overrideArgs(platform),
      "copy",
      "-q",
      "--src-tls-verify=false",
      "--src-no-creds",
      "--retry-times",
      "0",
      `docker://${ref}`,
      `containers-storage:[vfs@${store}/root+${store}/run]${ref}`,
    ];
    const r = await runProc(env.isolatedAll, args, {
      ...process.env,
      CONTAINERS_REGISTRIES_CONF: join(cfg, "registries.conf"),
      CONTAINERS_STORAGE_CONF: join(cfg, "storage.conf"),
      TMPDIR: store,
    });
    return { ok: r.code === 0, message: r.stderr.trim().replaceAll(store, "STORE") };
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

/**
 * Whether containerd unpacked `ref` (CRI namespace k8s.io), from `ctr images check`'s UNPACKED column
 * (`true`/`false`). Throws when the image is not listed: the caller only asks after a successful pull.
 */
export async function ctrUnpacked(ctr: string, sock: string, ref: string): Promise<boolean> {
  const r = await runProc(ctr, [
    "--address",
    sock,
    "--namespace",
    "k8s.io",
    "images",
    "check",
    `name==${ref}`,
  ]);
  if (r.code !== 0) throw new Error(`ctr images check failed: ${r.stderr}`);
  const row = r.stdout.split("\n").find((l) => l.split(/\s+/)[0] === ref);
  if (!row) throw new Error(`ctr images check does not list ${ref}:\n${r.stdout}`);
  const cols = row.trim().split(/\s+/);
  const last = cols[cols.length - 1];
  if (last !== "true" && last !== "false") throw new Error(`unexpected ctr images check row: ${row}`);
  return last === "true";
}

/** One Docker Engine API call over its unix socket; the body is returned whole (pull progress is small). */
function dockerApi(sock: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers: { host: "docker" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`docker ${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * `docker pull --platform P REF` through the Engine API (POST /images/create), after removing any copy
 * of it. The pull failed when the status is not 200 or a progress line carries `error`.
 * https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageCreate
 */
export async function dockerPull(sock: string, ref: string, platform: string): Promise<OraclePull> {
  const at = ref.lastIndexOf(":");
  const slash = ref.lastIndexOf("/");
  const [name, tag] = at > slash ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, "latest"];
  await dockerApi(sock, "DELETE", `/images/${encodeURIComponent(ref)}?force=1`);
  const q = new URLSearchParams({ fromImage: name, tag, platform });
  const r = await dockerApi(sock, "POST", `/images/create?${q}`);
  if (r.status !== 200) return { ok: false, message: `HTTP ${r.status}: ${r.body.trim()}` };
  const errors = r.body
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      try {
        return (JSON.parse(l) as { error?: string }).error;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is string => !!e);
  return errors.length ? { ok: false, message: errors.join("; ") } : { ok: true, message: "ok" };
}
