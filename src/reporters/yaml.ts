/** `-o yaml`: the same content as `-o json`, as YAML (a kubectl habit: `-o yaml`). */
import type { AuditReport } from "../core/report.js";
import { stringifyYaml } from "../manifests/yaml-out.js";

export function renderYaml(report: AuditReport): string {
  // Through JSON first so the YAML holds exactly what the JSON holds (undefined dropped, no class instances).
  return stringifyYaml(JSON.parse(JSON.stringify(report)) as unknown);
}
