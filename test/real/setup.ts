/**
 * vitest globalSetup of the "real" project (vitest.config.ts). Runs once in the main process:
 * `scripts/testenv.sh install` then `up` on a fresh temp dir (registry 2.8 + containerd 1.6 with CRI,
 * podman/skopeo), and hands the environment to the test workers. If install or up fails, this throws
 * and the whole suite fails: real-component tests never skip themselves.
 *
 * Workers read the environment with `inject("testenv")` (vitest's provide/inject, serialised to each
 * worker), or from process.env (REG_ADDR, CTD_SOCK, TESTENV_DIR), which is set here before the
 * workers are forked. Both are checked by test/real/oracles.test.ts.
 * https://vitest.dev/config/#globalsetup
 */
import type { TestProject } from "vitest/node";
import { startTestEnv, stopTestEnv, type TestEnv, testEnvVariables } from "./harness/testenv.js";

declare module "vitest" {
  export interface ProvidedContext {
    testenv: TestEnv;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await startTestEnv();
  try {
    Object.assign(process.env, testEnvVariables(env));
    project.provide("testenv", env);
  } catch (err) {
    stopTestEnv(env);
    throw err;
  }
  return async () => {
    stopTestEnv(env);
  };
}
