/**
 * Label and field selectors as the API server parses them.
 * Labels: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * (`=`, `==`, `!=`, `in (…)`, `notin (…)`, `key`, `!key`, comma = AND).
 * Fields: https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
 * (`=`, `==`, `!=` on dotted paths such as `metadata.name`, `spec.nodeName`, `reason`).
 */

type Obj = Record<string, unknown>;
export type Matcher = (obj: Obj) => boolean;

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== "");
}

function labelsOf(obj: Obj): Record<string, string> {
  const md = obj.metadata as Obj | undefined;
  const l = md?.labels;
  return typeof l === "object" && l !== null ? (l as Record<string, string>) : {};
}

export function parseLabelSelector(text: string): Matcher {
  const tests: Matcher[] = [];
  for (const term of splitTerms(text)) {
    let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const key = m[1] as string;
      const values = new Set((m[3] as string).split(",").map((v) => v.trim()));
      const neg = m[2] === "notin";
      tests.push((o) => {
        const v = labelsOf(o)[key];
        return neg ? v === undefined || !values.has(v) : v !== undefined && values.has(v);
      });
      continue;
    }
    m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)$/.exec(term);
    if (m) {
      const key = m[1] as string;
      const value = m[3] as string;
      const neg = m[2] === "!=";
      tests.push((o) => (labelsOf(o)[key] === value) !== neg);
      continue;
    }
    m = /^(!?)([^\s!=()]+)$/.exec(term);
    if (m) {
      const key = m[2] as string;
      const neg = m[1] === "!";
      tests.push((o) => (labelsOf(o)[key] !== undefined) !== neg);
      continue;
    }
    throw new SelectorError(`unable to parse requirement: ${term}`);
  }
  return (o) => tests.every((t) => t(o));
}

function fieldValue(obj: Obj, path: string): string {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return "";
    cur = (cur as Obj)[key];
  }
  return cur === undefined || cur === null ? "" : String(cur);
}

export function parseFieldSelector(text: string): Matcher {
  const tests: Matcher[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    tests.push((o) => (fieldValue(o, path) === value) !== (op === "!="));
  }
  return (o) => tests.every((t) => t(o));
}
