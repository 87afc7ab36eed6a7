// docs/ARCHITECTURE.md: imports point inward, and each npm library has one home.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT_RE =
  /^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

/** Top-level module of a src file: "core", "rules", "scan"... */
const layerOf = (file: string) => relative(SRC, file).split("/")[0] ?? "";

/** Which of our modules each module may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  log: [],
  manifests: ["core"],
  registry: ["core"],
  kube: ["core", "registry"],
  rules: ["core"],
  reporters: ["core", "manifests"],
  scan: ["core", "manifests", "registry", "kube", "rules", "reporters", "log"],
  config: ["core", "manifests"],
  // cli starts the controller (`controller` command); the controller never imports cli.
  // cli reaches the registry and the cluster only through scan (credentials travel as data there).
  cli: ["core", "scan", "reporters", "log", "rules", "config", "controller"],
  controller: ["core", "scan", "kube", "reporters", "log", "registry", "rules", "config"],
};

/** Where each chosen library may be imported. */
const HOMES: Record<string, string> = {
  undici: "registry",
  yaml: "manifests",
  "js-yaml": "manifests",
  "@kubernetes/client-node": "kube",
  commander: "cli",
  pino: "log",
  "prom-client": "controller",
  ajv: "config",
};

const all = files(SRC);

describe("architecture", () => {
  it("has source files to check", () => {
    expect(all.length).toBeGreaterThan(10);
  });

  for (const file of all) {
    const rel = relative(SRC, file);
    const layer = layerOf(file);
    it(`${rel} imports only what its layer may`, () => {
      const bad: string[] = [];
      for (const spec of importsOf(file)) {
        if (spec.startsWith(".")) {
          const target = join(dirname(file), spec);
          const tl = layerOf(target);
          if (tl !== layer && !(ALLOWED[layer] ?? []).includes(tl)) bad.push(`${spec} (${layer} -> ${tl})`);
          continue;
        }
        if (layer === "core") {
          bad.push(`${spec} (core imports no package, not even node: built-ins: it does no I/O)`);
          continue;
        }
        if (spec.startsWith("node:")) continue;
        const pkg = spec.startsWith("@")
          ? spec.split("/").slice(0, 2).join("/")
          : (spec.split("/")[0] ?? spec);
        const home = HOMES[pkg];
        if (home !== undefined && home !== layer) bad.push(`${spec} (belongs in src/${home})`);
      }
      expect(bad).toEqual([]);
    });
  }
});
