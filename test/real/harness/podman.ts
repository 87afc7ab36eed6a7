/**
 * `podman pull` as the stand-in for a CRI-O pull: both go through containers/image into
 * containers/storage (Debian 12's podman 4.3.1 is built with containers/image 5.23.1, see its go.mod:
 * https://github.com/containers/podman/blob/v4.3.1/go.mod). Storage, run state, temp files, events and
 * config all live under the testenv dir, and podman runs through DIR/bin/isolated (written by
 * scripts/testenv.sh), which redirects its blob-info cache away from /var/lib/containers/cache.
 */
import { spawn } from "node:child_process";
import { readTestEnv, type TestEnv } from "./testenv.js";

export interface PodmanPullResult {
  ok: boolean;
  /** stderr (errors, and warnings such as a platform mismatch on success), trimmed. */
  message: string;
  exitCode: number;
}

/** Global flags that keep podman inside the testenv dir. */
export function podmanGlobalArgs(env: TestEnv): string[] {
  return [
    "--root",
    env.podman.root,
    "--runroot",
    env.podman.runroot,
    "--tmpdir",
    env.podman.tmpdir,
    "--storage-driver",
    env.podman.storageDriver,
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
  ];
}

export function podmanEnv(env: TestEnv): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: env.podman.containersConf, TMPDIR: env.podman.tmpdir };
}

/** Runs `podman pull --tls-verify=false --platform PLATFORM REF` with storage under `dir`. */
export function podmanPull(
  dir: string,
  ref: string,
  platform: string,
  timeoutMs = 120_000,
): Promise<PodmanPullResult> {
  const env = readTestEnv(dir);
  const args = [...podmanGlobalArgs(env), "pull", "-q", "--tls-verify=false", "--platform", platform, ref];
  return new Promise((resolve, reject) => {
    const child = spawn(env.isolated, ["podman", ...args], {
      env: podmanEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdout.resume();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? -1;
      const message = signal ? `killed by ${signal} after ${timeoutMs} ms\n${stderr}`.trim() : stderr.trim();
      resolve({ ok: exitCode === 0, message, exitCode });
    });
  });
}
