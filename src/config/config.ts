/**
 * The config file (`.runtime-audit.yaml` in the working directory, or `--config <file>`): rule
 * severities and `off`, exemptions with a required reason, default targets and `failOn`. Validated
 * against the JSON schema shipped in the package (schema/runtime-audit-config.schema.json, also
 * usable by editors); a bad file is a ConfigError naming `file:line` and the field (JSON pointer).
 * Parsing goes through src/manifests, the home of the YAML parser. ajv has its home here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import type { Exemption, Policy } from "../core/policy.js";
import { normalizeRuleRef } from "../core/policy.js";
import type { DocPath, RuleMeta, Severity } from "../core/types.js";
import { parseChunks } from "../manifests/parse.js";
import { locatePaths, positionKey } from "../manifests/positions.js";
import { splitDocuments } from "../manifests/split.js";

/** Looked up in the working directory when --config is not given; absent is fine. */
export const DEFAULT_CONFIG_FILE = ".runtime-audit.yaml";

const SCHEMA_URL = new URL("../../schema/runtime-audit-config.schema.json", import.meta.url);

/** The file as the schema describes it. */
interface ConfigFile {
  rules?: Record<string, Severity | "off" | false>;
  exemptions?: {
    namespaces?: string[];
    kinds?: string[];
    names?: string[];
    rules?: string[];
    reason: string;
  }[];
  targetK8s?: string;
  targetRuntimes?: string | string[];
  platforms?: string | string[];
  failOn?: Severity | "none";
}

/** What the CLI uses: the policy for the engine and the defaults its flags override. */
export interface LoadedConfig {
  /** The file read, undefined when there was none. */
  file?: string;
  policy: Policy;
  defaults: { targetK8s?: string; targetRuntimes?: string; platforms?: string; failOn?: string };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

let validator: ReturnType<Ajv2020["compile"]> | undefined;

function validate(value: unknown): readonly ErrorObject[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Record<string, unknown>;
    validator = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  return validator(value) ? [] : (validator.errors ?? []);
}

/** "/exemptions/0/reason" -> ["exemptions", 0, "reason"] (RFC 6901 unescaping). */
function pointerPath(pointer: string): DocPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "required") return `missing required field "${String(p.missingProperty)}"`;
  if (e.keyword === "additionalProperties") return `unknown field "${String(p.additionalProperty)}"`;
  if (e.keyword === "enum")
    return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "minProperties" && e.schemaPath.includes("exemptions"))
    return "an exemption needs at least one of namespaces, kinds, names, rules";
  if (e.keyword === "pattern" && e.instancePath.endsWith("/reason")) return "the reason must not be empty";
  return e.message ?? e.keyword;
}

/** One line per field and problem: a failed oneOf/anyOf can repeat what its branches said. */
function pickErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const missing = new Set(errors.filter((e) => e.keyword === "required").map((e) => e.instancePath));
  return errors.filter((e) => {
    // "no reason" says it all; "needs a selector" would be wrong when the selector is there.
    if (e.keyword === "minProperties" && missing.has(e.instancePath)) return false;
    const key = `${e.instancePath}|${describe(e)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The error message for `path` in the file: "file:line:column: /pointer: what". */
function located(file: string, text: string, startLine: number, path: DocPath, what: string): string {
  const pointer = path.length
    ? `/${path.map((s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`
    : "/";
  const pos = locatePaths(text, startLine, [path]).get(positionKey(path));
  return `${file}${pos ? `:${pos.line}:${pos.column}` : ""}: ${pointer}: ${what}`;
}

/**
 * Reads the config: `explicit` (--config) must exist; without it, DEFAULT_CONFIG_FILE in `cwd` is
 * read when present. `rules` is every rule's metadata, to resolve slugs and refuse unknown rules.
 */
export function loadConfig(
  explicit: string | undefined,
  cwd: string,
  rules: readonly RuleMeta[],
): LoadedConfig {
  const file = explicit ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(explicit ? file : join(cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!explicit && code === "ENOENT")
      return { policy: { severity: new Map(), exemptions: [] }, defaults: {} };
    throw new ConfigError(
      `${file}: cannot read the config file: ${code === "ENOENT" ? "no such file or directory" : (err as Error).message}`,
    );
  }
  const chunks = splitDocuments(text).filter((c) => c.text.trim() !== "");
  if (chunks.length > 1)
    throw new ConfigError(
      `${file}:${(chunks[1]?.startLine ?? 0) + 1}: the config file must hold one YAML document`,
    );
  const chunk = chunks[0];
  if (!chunk) return { file, policy: { severity: new Map(), exemptions: [] }, defaults: {} };
  const parsed = parseChunks(text, [chunk], file.endsWith(".json"))[0];
  if (!parsed) return { file, policy: { severity: new Map(), exemptions: [] }, defaults: {} };
  if (!parsed.ok)
    throw new ConfigError(`${file}:${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}`);
  const value = parsed.value ?? {};
  const at = (path: DocPath, what: string) =>
    new ConfigError(located(file, chunk.text, chunk.startLine, path, what));

  const errors = pickErrors(validate(value));
  if (errors.length > 0) {
    throw new ConfigError(
      `invalid config file:\n${errors.map((e) => `  ${located(file, chunk.text, chunk.startLine, pointerPath(e.instancePath), describe(e))}`).join("\n")}`,
    );
  }
  const cfg = value as ConfigFile;
  const byRef = new Map<string, RuleMeta>();
  for (const r of rules) {
    byRef.set(r.id, r);
    byRef.set(r.slug, r);
  }
  const ruleId = (ref: string, path: DocPath): string => {
    const r = byRef.get(normalizeRuleRef(ref));
    if (!r) throw at(path, `unknown rule "${ref}" (use a rule id such as W001 or a slug)`);
    return r.id;
  };

  const severity = new Map<string, Severity | "off">();
  for (const [ref, sev] of Object.entries(cfg.rules ?? {})) {
    const id = ruleId(ref, ["rules", ref]);
    if (severity.has(id)) throw at(["rules", ref], `rule ${id} is configured twice (by id and by slug)`);
    severity.set(id, sev === false ? "off" : sev);
  }
  const exemptions: Exemption[] = (cfg.exemptions ?? []).map((e, i) => {
    const out: Exemption = { reason: e.reason.trim() };
    if (e.namespaces) out.namespaces = e.namespaces;
    if (e.kinds) out.kinds = e.kinds;
    if (e.names) out.names = e.names;
    if (e.rules) out.rules = e.rules.map((r, j) => ruleId(r, ["exemptions", i, "rules", j]));
    return out;
  });
  const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v);
  const defaults: LoadedConfig["defaults"] = {};
  if (cfg.targetK8s !== undefined) defaults.targetK8s = cfg.targetK8s;
  const runtimes = list(cfg.targetRuntimes);
  if (runtimes !== undefined) defaults.targetRuntimes = runtimes;
  const platforms = list(cfg.platforms);
  if (platforms !== undefined) defaults.platforms = platforms;
  if (cfg.failOn !== undefined) defaults.failOn = cfg.failOn;
  return { file, policy: { severity, exemptions }, defaults };
}
