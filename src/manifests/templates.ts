/**
 * Unrendered Helm templates that are still valid YAML: `image: "{{ .Values.image }}"`, a quoted
 * `"{{ include "x" . }}"`, a block scalar that kept `{{- if ... }}`. Auditing such a document would
 * judge placeholder text, so it is an input error (the user ran the tool on a chart instead of its
 * `helm template` output).
 *
 * Rendered manifests legitimately carry `{{ }}` for other programs: Alertmanager and Prometheus rule
 * templates (`{{ $labels.instance }}`), `docker ps --format '{{ .Names }}'`, Argo Workflows parameters
 * (`{{inputs.parameters.x}}`), Go templates in an app's ConfigMap. So `{{` alone proves nothing. An
 * action is a Helm leftover when it names what only Helm gives a template
 * (https://helm.sh/docs/chart_template_guide/builtin_objects/, https://helm.sh/docs/chart_template_guide/function_list/,
 * https://helm.sh/docs/howto/charts_tips_and_tricks/):
 * - a built-in object: `.Values`, `.Release`, `.Chart`, `.Capabilities`, `.Files`, `.Template`, anywhere
 *   in the action, also through `$` (`$.Values.x`, `{{ toYaml .Values.x }}`, `{{- if .Release.IsInstall }}`);
 *   `$labels.Values` or `.Config.Values` are fields of something else and do not count;
 * - a Helm-only function at the start of the action: `include`, `tpl`, `required`, `lookup`
 *   (`template`, `toYaml`, `nindent` also exist in Go text/template or sprig users such as Alertmanager
 *   and Argo CD ApplicationSets, so they alone do not count).
 * The data of ConfigMaps and Secrets is another program's input and is never judged.
 */
import type { DocPath } from "../core/types.js";

/** `{{`, optional `-`, then a Helm-only function first or a Helm built-in object within the action. */
const HELM_ACTION =
  /\{\{-?\s*(?:include|tpl|required|lookup)\s|\{\{-?[^}]*?(?<![\w.\]])\$?\.(?:Values|Release|Chart|Capabilities|Files|Template)\b/;

/** True when the text holds a Helm template action (see the module comment for the criteria). */
export function isHelmAction(text: string): boolean {
  return text.includes("{{") && HELM_ACTION.test(text);
}

export interface TemplateLeftover {
  /** From the document root. */
  path: DocPath;
  /** The string that holds it. */
  text: string;
}

const PAYLOAD_KINDS = new Set(["ConfigMap", "Secret"]);
const PAYLOAD_FIELDS = new Set(["data", "stringData", "binaryData"]);

/**
 * The first string (or key) of a parsed document that holds an unrendered Helm action, in document order.
 * Call it only for documents whose text contains `{{` (the walk is for those few).
 */
export function findHelmLeftover(doc: unknown): TemplateLeftover | undefined {
  const visit = (v: unknown, path: (string | number)[]): TemplateLeftover | undefined => {
    if (typeof v === "string") return isHelmAction(v) ? { path, text: v } : undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = visit(v[i], [...path, i]);
        if (r) return r;
      }
      return undefined;
    }
    if (typeof v !== "object" || v === null) return undefined;
    const obj = v as Record<string, unknown>;
    // Each object decides for itself (a List's items too): a ConfigMap/Secret's payload is skipped.
    const payload = typeof obj.kind === "string" && PAYLOAD_KINDS.has(obj.kind);
    for (const k of Object.keys(obj)) {
      if (payload && PAYLOAD_FIELDS.has(k)) continue;
      if (isHelmAction(k)) return { path: [...path, k], text: k };
      const r = visit(obj[k], [...path, k]);
      if (r) return r;
    }
    return undefined;
  };
  return visit(doc, []);
}
