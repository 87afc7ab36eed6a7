/**
 * YAML output for the reporters. The `yaml` package has one home (src/manifests/, DESIGN.md §2), so the
 * writer lives here next to the reader and src/reporters imports this function instead of the library.
 */
import { stringify } from "yaml";

/**
 * Serialises plain data as YAML 1.2 (https://eemeli.org/yaml/#tostring-options):
 * - `aliasDuplicateObjects: false`: the report shares Finding objects between the top-level list and the
 *   image verdicts; they are written out twice rather than as `&anchor`/`*alias`, which many consumers
 *   (and people) do not expect in a report.
 * - `lineWidth: 0`: no folding of long messages, so one value stays on one greppable line.
 * - `version: "1.1"`: quote strings that a YAML 1.1 reader (PyYAML, go-yaml v2, many CI tools) would
 *   take for something else: timestamps such as `generatedAt`, `yes`/`no`/`on`/`off`. The quoted output
 *   reads back the same under YAML 1.2.
 * `undefined` values are omitted, as in JSON.
 */
export function stringifyYaml(value: unknown): string {
  return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0, version: "1.1" });
}
