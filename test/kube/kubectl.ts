// Runs the real kubectl against a fake API server, with a throwaway HOME and discovery cache.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeApiServer } from "../fakeapi/server.js";

export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly home: string;
  readonly kubeconfig: string;
  constructor(
    readonly bin: string,
    server: FakeApiServer,
  ) {
    this.home = mkdtempSync(join(tmpdir(), "kra-kubectl-"));
    this.kubeconfig = join(this.home, "kubeconfig");
    writeFileSync(this.kubeconfig, server.kubeconfig());
  }

  /** Runs kubectl with this kubeconfig and cache dir (`plain`: no flags added, as plugins need). */
  run(args: string[], env: Record<string, string> = {}, plain = false): Promise<KubectlRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        this.bin,
        plain ? args : ["--kubeconfig", this.kubeconfig, "--cache-dir", join(this.home, "cache"), ...args],
        {
          env: { PATH: process.env.PATH ?? "", HOME: this.home, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
