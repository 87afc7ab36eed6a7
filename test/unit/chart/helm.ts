// Drives the real helm 4 (scripts/kubetools.sh installs it from the npm registry) over the chart in
// charts/kube-runtime-audit. helm's own state goes to a temporary directory, never to $HOME.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { parseAllDocuments } from "yaml";

export const ROOT = join(import.meta.dirname, "../../..");
export const CHART = join(ROOT, "charts/kube-runtime-audit");

let helmBin: string | undefined;
const home = mkdtempSync(join(tmpdir(), "kra-helm-"));
// Registered in the root suite of each test file that imports this module.
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = {
  ...process.env,
  HELM_CACHE_HOME: join(home, "cache"),
  HELM_CONFIG_HOME: join(home, "config"),
  HELM_DATA_HOME: join(home, "data"),
};

/** Installs helm when missing (a failure throws: the chart suite never skips itself). */
export function helm(): string {
  if (helmBin === undefined) {
    const bin = execFileSync("bash", [join(ROOT, "scripts/kubetools.sh"), "install"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    helmBin = join(bin, "helm");
  }
  return helmBin;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): HelmResult {
  const r = spawnSync(helm(), args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `--set` style overrides: {"mode": "controller", "pullSecrets.enabled": true}. */
export type Overrides = Record<string, string | number | boolean | readonly string[]>;

export function setArgs(values: Overrides): string[] {
  return Object.entries(values).flatMap(([k, v]) => [
    typeof v === "string" ? "--set-string" : "--set",
    `${k}=${Array.isArray(v) ? `{${v.join(",")}}` : String(v)}`,
  ]);
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** `helm template` → the rendered objects; throws with helm's stderr when rendering fails. */
export function render(values: Overrides = {}, release = "kra", namespace = "audit"): K8sObject[] {
  const r = runHelm(["template", release, CHART, "--namespace", namespace, ...setArgs(values)]);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}): ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
