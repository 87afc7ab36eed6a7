/** Every rule's metadata, for reporters (SARIF rule table) and `--ignore` validation. */
import type { RuleMeta } from "../core/types.js";
import { imageRules } from "../rules/image/index.js";
import { nodeRules } from "../rules/node/index.js";
import { workloadRules } from "../rules/workload/index.js";

export function allRuleMeta(): RuleMeta[] {
  return [...workloadRules, ...nodeRules, ...imageRules].map(
    ({ id, slug, title, category, description, remediation, defaultSeverity }) => ({
      id,
      slug,
      title,
      category,
      description,
      remediation,
      defaultSeverity,
    }),
  );
}
