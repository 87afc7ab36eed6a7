/**
 * vitest globalSetup of the "real" project (vitest.config.ts). Runs once in the main process:
 * 1. `scripts/testenv.sh install` then `up` on a fresh temp dir (registry 2.8 + containerd 1.6 with
 *    CRI, podman/skopeo);
 * 2. a loopback blob server (foreign-layer `urls`) and the stub registry (the >4 MiB manifest);
 * 3. pushes every crafted image (harness/crafted.ts).
 * If any step fails this throws and the whole suite fails: real-component tests never skip.
 *
 * Workers read the environment with `inject("testenv")` / `inject("crafted")` (vitest's
 * provide/inject, serialised to each worker), or from process.env (REG_ADDR, CTD_SOCK, TESTENV_DIR),
 * set here before the workers are forked. Both paths are checked by test/real/oracles.test.ts.
 * The servers live in this process, so they stay up for every test file.
 * https://vitest.dev/config/#globalsetup
 */
import type { TestProject } from "vitest/node";
import { BlobServer, StubRegistry } from "./harness/blob-server.js";
import { type PushedImage, pushCrafted } from "./harness/crafted.js";
import { startTestEnv, stopTestEnv, type TestEnv, testEnvVariables } from "./harness/testenv.js";

export interface CraftedEnv {
  images: PushedImage[];
  /** host:port of the blob server for foreign / non-distributable layers. */
  blobServer: string;
  /** host:port of the stub registry. */
  stubRegistry: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    testenv: TestEnv;
    crafted: CraftedEnv;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await startTestEnv();
  const blobs = new BlobServer();
  const stub = new StubRegistry();
  const stop = async () => {
    await Promise.allSettled([blobs.close(), stub.close()]);
    stopTestEnv(env);
  };
  try {
    await blobs.listen();
    await stub.listen();
    const images = await pushCrafted({ registry: env.regAddr, blobs, stub });
    Object.assign(process.env, testEnvVariables(env), {
      BLOB_SERVER_ADDR: blobs.address,
      STUB_REG_ADDR: stub.address,
    });
    project.provide("testenv", env);
    project.provide("crafted", { images, blobServer: blobs.address, stubRegistry: stub.address });
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
