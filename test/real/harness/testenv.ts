/**
 * Starts and stops the real components through scripts/testenv.sh (registry 2.8, containerd 1.6 with
 * CRI, podman/skopeo, and the newer pullers fetched from Debian trixie/sid: containerd 1.7 and 2.1,
 * containers/image 5.34 and 5.39 in skopeo 1.18 and 1.22). Shared by the vitest globalSetup of the "real" project and by the benchmarks.
 * Failures throw with the script's stderr: a missing component must fail the run, never skip it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CtrRecipe } from "./ctr-recipe.js";

export const TESTENV_SCRIPT = fileURLToPath(new URL("../../../scripts/testenv.sh", import.meta.url));

/** What `testenv.sh up DIR` writes to DIR/env. */
export interface TestEnv {
  dir: string;
  /** host:port of the registry, e.g. "127.0.0.1:5055". */
  regAddr: string;
  regPid: number;
  regVersion: string;
  /** containerd's gRPC socket; the CRI (runtime.v1) is served on it. */
  ctdSock: string;
  ctdPid: number;
  ctdVersion: string;
  ctdSnapshotter: string;
  podman: {
    root: string;
    runroot: string;
    tmpdir: string;
    storageDriver: string;
    containersConf: string;
    version: string;
  };
  skopeoVersion: string;
  /** DIR/bin/isolated: runs a command with /var/lib redirected under DIR (podman and skopeo need it). */
  isolated: string;
  /** DIR/bin/isolated-all: a private mount namespace with tmpfs over /var/lib, /run and /var/tmp. */
  isolatedAll: string;
  /** Newer containerds from Debian trixie/sid (scripts/testenv.sh fetch), each its own daemon. */
  ctdOracles: { version: string; sock: string; ctr: string }[];
  /**
   * One more daemon per containerd version (the host's 1.6 included) for the linux/arm64 pulls made
   * with ctr (harness/ctr-recipe.ts), which the host's CRI cannot make.
   */
  ctdRecipes: CtrRecipe[];
  /** containers/image versions inside skopeo builds from Debian trixie/sid: "5.34" -> skopeo binary. */
  cimageOracles: { version: string; skopeo: string }[];
  /** DIR/oracles/cimage: registries.conf, policy.json, registries.d, storage.conf for the skopeo oracles. */
  cimageConfigDir: string;
  /** Docker Engine daemons (Debian sid `docker.io`): "28.5" -> its API socket. */
  dockerOracles: { version: string; sock: string }[];
}

/** "1.7=/a.sock,2.1=/b.sock" -> [["1.7", "/a.sock"], ["2.1", "/b.sock"]]; empty fails (the oracles are required). */
function parseOracleList(text: string, key: string): [string, string][] {
  const pairs = text
    .split(",")
    .filter(Boolean)
    .map((e): [string, string] => {
      const i = e.indexOf("=");
      return [e.slice(0, i), e.slice(i + 1)];
    });
  if (!pairs.length || pairs.some(([v, p]) => !v || !p))
    throw new Error(`env ${key} is malformed: "${text}"`);
  return pairs;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number; stderr: string } {
  const r = spawnSync("bash", [TESTENV_SCRIPT, ...args], { env, encoding: "utf8", timeout: 600_000 });
  const stderr = `${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}`;
  return { status: r.status ?? -1, stderr };
}

function mustRun(args: string[], env?: NodeJS.ProcessEnv): string {
  const r = run(args, env);
  if (r.status !== 0) {
    throw new Error(
      `scripts/testenv.sh ${args.join(" ")} failed (exit ${r.status}); the real suite needs these components.\n${r.stderr.trim()}`,
    );
  }
  return r.stderr;
}

/** "1.6.20~ds1" -> "1.6". */
function minorOf(version: string): string {
  return /^v?(\d+\.\d+)/.exec(version)?.[1] ?? version;
}

/** Parses the KEY=VALUE lines of DIR/env. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = m[2] ?? "";
  }
  return out;
}

export function readTestEnv(dir: string): TestEnv {
  const e = parseEnvFile(readFileSync(join(dir, "env"), "utf8"));
  const need = (k: string): string => {
    const v = e[k];
    if (v === undefined || v === "") throw new Error(`${dir}/env lacks ${k}`);
    return v;
  };
  return {
    dir: need("TESTENV_DIR"),
    regAddr: need("REG_ADDR"),
    regPid: Number(need("REG_PID")),
    regVersion: need("REG_VERSION"),
    ctdSock: need("CTD_SOCK"),
    ctdPid: Number(need("CTD_PID")),
    ctdVersion: need("CTD_VERSION"),
    ctdSnapshotter: need("CTD_SNAPSHOTTER"),
    podman: {
      root: need("PODMAN_ROOT"),
      runroot: need("PODMAN_RUNROOT"),
      tmpdir: need("PODMAN_TMPDIR"),
      storageDriver: need("PODMAN_STORAGE_DRIVER"),
      containersConf: need("CONTAINERS_CONF"),
      version: need("PODMAN_VERSION"),
    },
    skopeoVersion: need("SKOPEO_VERSION"),
    isolated: need("ISOLATED"),
    isolatedAll: need("ISOLATED_ALL"),
    ctdOracles: parseOracleList(need("CTD_ORACLES"), "CTD_ORACLES").map(([version, sock]) => ({
      version,
      sock,
      ctr: join(need("ORACLE_CACHE"), "bin", `ctr-${version}`),
    })),
    ctdRecipes: parseOracleList(need("CTD_RECIPES"), "CTD_RECIPES").map(([version, d]) => ({
      version,
      sock: join(d, "containerd.sock"),
      // the host's containerd (1.6) comes with its ctr on PATH; the newer ones from the oracle cache
      ctr:
        minorOf(need("CTD_VERSION")) === version
          ? "ctr"
          : join(need("ORACLE_CACHE"), "bin", `ctr-${version}`),
      hostsDir: join(d, "certs.d"),
      snapshotter: need("CTD_SNAPSHOTTER"),
    })),
    cimageOracles: parseOracleList(need("CIMAGE_ORACLES"), "CIMAGE_ORACLES").map(([version, skopeo]) => ({
      version,
      skopeo,
    })),
    cimageConfigDir: join(need("TESTENV_DIR"), "oracles", "cimage"),
    dockerOracles: parseOracleList(need("DOCKER_ORACLES"), "DOCKER_ORACLES").map(([version, sock]) => ({
      version,
      sock,
    })),
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

export interface StartOptions {
  /** Registry port; default: $REG_PORT, else a free port (so parallel runs do not collide). */
  port?: number;
  /** Skip `testenv.sh install` (it is a no-op when everything is present anyway). */
  skipInstall?: boolean;
  /** Prefix of the temp dir. */
  prefix?: string;
}

/** install + up on a fresh temp dir. Throws (with the script's output) when either fails. */
export async function startTestEnv(opts: StartOptions = {}): Promise<TestEnv> {
  if (!opts.skipInstall) mustRun(["install"]);
  const port = opts.port ?? (process.env.REG_PORT ? Number(process.env.REG_PORT) : await freePort());
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? "kra-real-"));
  try {
    mustRun(["up", dir], { ...process.env, REG_PORT: String(port) });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return readTestEnv(dir);
}

/** Stops by PID and removes the dir (set TESTENV_KEEP=1 to keep logs). Throws when `down` fails. */
export function stopTestEnv(env: Pick<TestEnv, "dir">): void {
  mustRun(["down", env.dir]);
}

/** The env as variables, for child processes and for tests that read process.env. */
export function testEnvVariables(env: TestEnv): Record<string, string> {
  return {
    TESTENV_DIR: env.dir,
    REG_ADDR: env.regAddr,
    CTD_SOCK: env.ctdSock,
  };
}
