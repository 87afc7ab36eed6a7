/** Loads rule fixtures the way the files front door will: js-yaml loadAll -> toK8sObject -> auditObject. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAll } from "js-yaml";
import { EnvStore } from "../../../../src/core/env.js";
import { auditObject } from "../../../../src/core/rule.js";
import { makeTarget } from "../../../../src/core/target.js";
import type { Finding } from "../../../../src/core/types.js";
import { expandList, isObject, type K8sObject, toK8sObject } from "../../../../src/core/workload.js";
import { workloadRules } from "../../../../src/rules/workload/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../../../fixtures/rules");

export function fixtureFiles(ruleId: string): string[] {
  return readdirSync(join(FIXTURES, ruleId))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

export function loadObjects(ruleId: string, file: string): K8sObject[] {
  const text = readFileSync(join(FIXTURES, ruleId, file), "utf8");
  const out: K8sObject[] = [];
  for (const doc of loadAll(text)) {
    if (!isObject(doc)) continue;
    for (const item of expandList(doc))
      out.push(toK8sObject(item.raw, { file: `${ruleId}/${file}` }, item.path));
  }
  return out;
}

export interface TargetOpts {
  k8s?: string;
  runtimes?: string;
}

/**
 * The ConfigMaps and Secrets of a fixture, by kind/namespace/name, as a scan feeds them to rules
 * (a name without namespace is found from any namespace, like rendered charts applied with -n).
 */
export function fixtureSources(objects: readonly K8sObject[]): EnvStore {
  const store = new EnvStore();
  for (const o of objects) store.add(o);
  return store;
}

/** All findings of all workload rules for a fixture file. */
export function auditFixture(ruleId: string, file: string, target: TargetOpts = {}): Finding[] {
  const objects = loadObjects(ruleId, file);
  const sources = fixtureSources(objects);
  const ctx = { target: makeTarget(target), sources };
  return objects.flatMap(
    (o) => auditObject(o, workloadRules, ctx, { ignore: new Set(), envSources: sources }).findings,
  );
}

/** Findings of one rule for a fixture file. */
export function findings(ruleId: string, file: string, target: TargetOpts = {}): Finding[] {
  return auditFixture(ruleId, file, target).filter((f) => f.ruleId === ruleId);
}

/** Compact view for assertions: severity, container, path and subject name. */
export function brief(f: Finding): {
  severity: string;
  container?: string;
  path: (string | number)[];
  name: string;
} {
  const b: { severity: string; container?: string; path: (string | number)[]; name: string } = {
    severity: f.severity,
    path: [...(f.path ?? [])],
    name: f.subject.name,
  };
  if (f.subject.container) b.container = f.subject.container;
  return b;
}

export const TPL = ["spec", "template", "spec"] as const;
export const CRON_TPL = ["spec", "jobTemplate", "spec", "template", "spec"] as const;
