/**
 * Recognisers for log-shipper configurations that only parse Docker's json-file log format (W007).
 * They read the text of a ConfigMap value line by line (src/rules must not depend on a YAML library) and
 * look only at the directives that decide the parser, so comments, names and unrelated sections never
 * match. Upstream shapes they were written against:
 * - fluent-bit: `[INPUT] Name tail / Path /var/log/containers/*.log / Parser docker`; the current
 *   fluent-bit Helm chart uses `multiline.parser docker, cri`, which handles both formats
 *   (https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/multiline-parsing).
 * - fluentd: `<source> @type tail ... <parse> @type json </parse>` (fluentd-kubernetes-daemonset's
 *   default), fix `@type cri` (https://github.com/fluent/fluent-plugin-parser-cri).
 * - filebeat: `type: docker` (deprecated in 7.2) or container/log inputs on /var/lib/docker/containers
 *   (https://www.elastic.co/guide/en/beats/filebeat/7.5/filebeat-input-container.html).
 * - promtail: `pipeline_stages: - docker: {}` without `- cri: {}`
 *   (https://grafana.com/docs/loki/latest/send-data/promtail/stages/cri/).
 * - Grafana Alloy (and Grafana Agent flow mode, same syntax): a `loki.process` block with `stage.docker`
 *   and no `stage.cri`, what `alloy convert` writes for such a Promtail config
 *   (https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/#stagedocker).
 * - OpenTelemetry Collector: a filelog `container` operator pinned to `format: docker`; unpinned it detects
 *   the format (https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/pkg/stanza/docs/operators/container.md).
 */
import { DOCKER_CONTAINER_LOG_DIRS } from "../data/sockets.js";
import { classifyHostPath } from "./hostpaths.js";
import { canonicalHostPath } from "./util.js";

export interface LogConfigFinding {
  shipper: "fluent-bit" | "fluentd" | "filebeat" | "promtail" | "alloy" | "otel-collector";
  /** What we saw, in one line. */
  detail: string;
  /** The CRI-capable setting to use instead. */
  fix: string;
}

function stripComment(line: string): string {
  if (!line.includes("#")) return line; // most lines: no regex run at all
  const i = line.search(/(^|\s)#/);
  return i < 0 ? line : line.slice(0, i);
}

// Several recognisers read the same text (a ConfigMap value is tried as fluent-bit, filebeat, promtail...):
// its lines and list items are split once, for the text last asked about.
let linesOf: { text: string; lines: string[] } | undefined;
let itemsOf: { text: string; items: YamlItem[] } | undefined;

/** The text's lines without comments and trailing whitespace (shared: callers must not change it). */
function configLines(text: string): readonly string[] {
  if (linesOf?.text !== text) {
    linesOf = { text, lines: text.split(/\r?\n/).map((l) => stripComment(l).replace(/\s+$/, "")) };
  }
  return linesOf.lines;
}

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/** Splits a list value: "a, b", "[a, 'b']". */
function listValue(v: string): string[] {
  return unquote(v)
    .replace(/^\[|\]$/g, "")
    .split(/[,\s]+/)
    .map((x) => unquote(x))
    .filter((x) => x !== "");
}

type LogPathKind = "docker-dir" | "kubelet" | "other";

function logPathKind(p: string): LogPathKind {
  // Shippers read the host's log directories mounted at the same path (Linux, or a Windows drive path).
  if (!p.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(p)) return "other";
  const dir = canonicalHostPath(p.replace(/\*.*$/, "").replace(/\$\{.*$/, ""));
  const c = classifyHostPath(dir);
  // The data root itself (`/var/lib/docker/*/*.log`) is Docker's log directory too.
  if (c?.kind === "docker-logs") return "docker-dir";
  if (DOCKER_CONTAINER_LOG_DIRS.some((d) => d.prefix.slice(0, d.prefix.lastIndexOf("/")) === dir)) {
    return "docker-dir";
  }
  return c?.kind === "kubelet-logs" ? "kubelet" : "other";
}

// ---------------------------------------------------------------- fluent-bit (classic .conf)

interface Section {
  name: string;
  keys: Map<string, string>;
}

function fluentBitSections(text: string): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  for (const raw of configLines(text)) {
    const line = raw.trimStart();
    if (line === "") continue;
    const sec = /^\[([A-Za-z_ ]+)\]$/.exec(line);
    if (sec) {
      cur = { name: (sec[1] ?? "").trim().toUpperCase(), keys: new Map() };
      out.push(cur);
      continue;
    }
    const kv = /^([A-Za-z0-9_.]+)\s+(.+)$/.exec(line);
    if (cur && kv) cur.keys.set((kv[1] ?? "").toLowerCase(), (kv[2] ?? "").trim());
  }
  return out;
}

function judgeFluentBitTail(keys: Map<string, string>, where: string): LogConfigFinding | undefined {
  if ((keys.get("name") ?? "").toLowerCase() !== "tail") return undefined;
  const paths = listValue(keys.get("path") ?? "");
  const kinds = paths.map(logPathKind);
  const parser = unquote(keys.get("parser") ?? "").toLowerCase();
  const multiline = listValue((keys.get("multiline.parser") ?? "").toLowerCase());
  const fix = "multiline.parser docker, cri (Fluent Bit >= 1.8) and tail /var/log/containers/*.log";
  if (kinds.includes("docker-dir")) {
    return {
      shipper: "fluent-bit",
      detail: `${where} tail input reads ${paths.join(", ")}, Docker's own log directory`,
      fix,
    };
  }
  if (!kinds.includes("kubelet")) return undefined;
  const hasCri = parser === "cri" || multiline.includes("cri");
  const hasDocker = parser === "docker" || multiline.includes("docker");
  if (!hasDocker || hasCri) return undefined;
  const how = parser === "docker" ? "Parser docker" : `multiline.parser ${multiline.join(", ")}`;
  return {
    shipper: "fluent-bit",
    detail: `${where} tail input on ${paths.join(", ")} parses with ${how} and no cri parser`,
    fix,
  };
}

/**
 * A section header `[INPUT]` in any case and spacing: fluentBitSections upper-cases and trims the name. Texts
 * without one are not read line by line (most ConfigMaps, and every other shipper's config).
 */
const MAY_HAVE_INPUT_SECTION = /\[[ \t]*input[ \t]*\]/i;

function fluentBitClassic(text: string): LogConfigFinding[] {
  if (!MAY_HAVE_INPUT_SECTION.test(text)) return [];
  const out: LogConfigFinding[] = [];
  for (const s of fluentBitSections(text)) {
    if (s.name !== "INPUT") continue;
    const f = judgeFluentBitTail(s.keys, "[INPUT]");
    if (f) out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------- YAML list items (fluent-bit YAML, filebeat)

export interface YamlItem {
  keys: Map<string, string>;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * Every block-sequence item (`- key: value`) with its top-level keys; a key followed by a nested list of
 * scalars gets them comma-joined. Keys are lower-cased; values are as written (quotes kept). Good enough
 * for the flat config shapes we look at (log shippers here, CI runner pod templates in runnerconfig.ts).
 */
export function yamlItems(text: string): readonly YamlItem[] {
  if (itemsOf?.text !== text) itemsOf = { text, items: readYamlItems(configLines(text)) };
  return itemsOf.items;
}

function readYamlItems(lines: readonly string[]): YamlItem[] {
  const items: YamlItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)-(\s+)(\S.*)$/.exec(lines[i] ?? "");
    if (!m) continue;
    const contentIndent = (m[1] ?? "").length + 1 + (m[2] ?? "").length;
    const body: { indent: number; text: string }[] = [{ indent: contentIndent, text: m[3] ?? "" }];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (l.trim() === "") continue;
      const ind = indentOf(l);
      if (ind < contentIndent) break;
      body.push({ indent: ind, text: l.trim() });
    }
    const keys = new Map<string, string>();
    let lastKey: string | undefined;
    for (const b of body) {
      if (b.indent === contentIndent) {
        const kv = /^([A-Za-z0-9_.-]+):\s*(.*)$/.exec(b.text);
        lastKey = kv ? (kv[1] ?? "").toLowerCase() : undefined;
        if (kv && lastKey) keys.set(lastKey, (kv[2] ?? "").trim());
      } else if (lastKey && b.indent > contentIndent) {
        const li = /^-\s+(.*)$/.exec(b.text);
        if (li && !/^[A-Za-z0-9_.-]+:\s/.test(li[1] ?? "")) {
          const prev = keys.get(lastKey) ?? "";
          keys.set(lastKey, prev ? `${prev},${li[1]}` : (li[1] ?? ""));
        }
      }
    }
    items.push({ keys });
  }
  return items;
}

function fluentBitYaml(text: string): LogConfigFinding[] {
  if (!/^\s*(pipeline|inputs)\s*:/m.test(text)) return [];
  const out: LogConfigFinding[] = [];
  for (const it of yamlItems(text)) {
    const f = judgeFluentBitTail(it.keys, "pipeline.inputs");
    if (f) out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------- fluentd

interface Directive {
  name: string;
  params: Map<string, string>;
  children: Directive[];
}

function fluentdDirectives(text: string): Directive[] {
  const root: Directive = { name: "root", params: new Map(), children: [] };
  const stack: Directive[] = [root];
  for (const raw of configLines(text)) {
    const line = raw.trimStart();
    if (line === "") continue;
    const close = /^<\/([A-Za-z_]+)\s*>$/.exec(line);
    if (close) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const open = /^<([A-Za-z_]+)(\s[^>]*)?>$/.exec(line);
    if (open) {
      const d: Directive = { name: (open[1] ?? "").toLowerCase(), params: new Map(), children: [] };
      (stack[stack.length - 1] as Directive).children.push(d);
      stack.push(d);
      continue;
    }
    const kv = /^(@?[A-Za-z_]+)\s+(.*)$/.exec(line);
    if (kv)
      (stack[stack.length - 1] as Directive).params.set((kv[1] ?? "").toLowerCase(), unquote(kv[2] ?? ""));
  }
  return root.children;
}

function parserTypes(d: Directive, out: Set<string>): void {
  for (const k of ["@type", "type", "format"]) {
    const v = d.params.get(k);
    if (v && d.name !== "source") out.add(v.toLowerCase());
  }
  const fmt = d.name === "source" ? d.params.get("format") : undefined;
  if (fmt) out.add(fmt.toLowerCase());
  for (const c of d.children) if (c.name === "parse" || c.name === "pattern") parserTypes(c, out);
}

function fluentd(text: string): LogConfigFinding[] {
  if (!/<source>/i.test(text)) return [];
  const out: LogConfigFinding[] = [];
  const sources: Directive[] = [];
  const walk = (ds: Directive[]) => {
    for (const d of ds) {
      if (d.name === "source") sources.push(d);
      else walk(d.children); // <label> and friends
    }
  };
  walk(fluentdDirectives(text));
  for (const d of sources) {
    const type = (d.params.get("@type") ?? d.params.get("type") ?? "").toLowerCase();
    if (type !== "tail") continue;
    const paths = listValue(d.params.get("path") ?? "");
    const kinds = paths.map(logPathKind);
    const fix = "a <parse> @type cri </parse> section (fluent-plugin-parser-cri) or a CRI regexp";
    if (kinds.includes("docker-dir")) {
      out.push({
        shipper: "fluentd",
        detail: `<source> tail reads ${paths.join(", ")}, Docker's own log directory`,
        fix,
      });
      continue;
    }
    if (!kinds.includes("kubelet")) continue;
    const types = new Set<string>();
    parserTypes(d, types);
    if (types.has("json") && !types.has("cri") && !types.has("regexp")) {
      out.push({
        shipper: "fluentd",
        detail: `<source> tail on ${paths.join(", ")} parses lines as json only (Docker json-file format)`,
        fix,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- filebeat

function filebeat(text: string): LogConfigFinding[] {
  // A filebeat.yml, or an inputs file loaded through filebeat.config.inputs (the upstream
  // filebeat-kubernetes manifests keep it in its own ConfigMap), recognised by the docker input's keys
  // (yamlItems lower-cases keys, hence the case-blind test before the items are read at all).
  const named = /^\s*filebeat\.(inputs|autodiscover|prospectors|config)\s*:/m.test(text);
  if (!named && !/containers\./i.test(text)) return [];
  const items = yamlItems(text);
  const isFilebeat =
    named || items.some((it) => [...it.keys.keys()].some((k) => k.startsWith("containers.")));
  if (!isFilebeat) return [];
  const out: LogConfigFinding[] = [];
  const fix = "type: container (or filestream with the container parser) on /var/log/containers/*.log";
  for (const it of items) {
    const type = unquote(it.keys.get("type") ?? "").toLowerCase();
    const paths = listValue(it.keys.get("paths") ?? "");
    if (type === "docker") {
      out.push({ shipper: "filebeat", detail: "input type: docker reads Docker's json-file logs", fix });
    } else if (
      ["container", "log", "filestream"].includes(type) &&
      paths.some((p) => logPathKind(p) === "docker-dir")
    ) {
      out.push({
        shipper: "filebeat",
        detail: `input type: ${type} reads ${paths.join(", ")}, Docker's own log directory`,
        fix,
      });
    } else if (type === "container" && unquote(it.keys.get("format") ?? "").toLowerCase() === "docker") {
      out.push({ shipper: "filebeat", detail: "container input forced to format: docker", fix });
    }
  }
  // filestream's container parser (the current upstream manifests: `parsers: [container: ~]`) reads
  // both formats unless pinned to docker, block or flow style
  // (https://www.elastic.co/guide/en/beats/filebeat/current/filebeat-input-filestream.html#_container).
  if (
    /type:\s*["']?filestream/.test(text) &&
    (FILESTREAM_CONTAINER_DOCKER_BLOCK.test(text) || FILESTREAM_CONTAINER_DOCKER_FLOW.test(text))
  ) {
    out.push({ shipper: "filebeat", detail: "filestream container parser pinned to format: docker", fix });
  }
  return out;
}

const FILESTREAM_CONTAINER_DOCKER_BLOCK =
  /^\s*-\s*container:\s*\n(?:\s+[A-Za-z_]+:.*\n)*?\s+format:\s*["']?docker["']?\s*$/m;
const FILESTREAM_CONTAINER_DOCKER_FLOW = /-\s*container:\s*\{[^}]*format:\s*["']?docker["']?[^}]*\}/;

// ---------------------------------------------------------------- promtail

function promtail(text: string): LogConfigFinding[] {
  if (!/^\s*scrape_configs\s*:/m.test(text)) return [];
  const lines = configLines(text);
  const out: LogConfigFinding[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(-\s+)?pipeline_stages:\s*$/.exec(lines[i] ?? "");
    if (!m) continue;
    const keyIndent = (m[1] ?? "").length + (m[2] ?? "").length;
    const stages: string[] = [];
    let itemIndent: number | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (l.trim() === "") continue;
      const ind = indentOf(l);
      const st = /^(\s*)-\s+([A-Za-z_]+):/.exec(l);
      if (itemIndent === undefined) {
        if (!st || ind < keyIndent) break;
        itemIndent = ind;
      }
      if (ind < itemIndent || (ind === itemIndent && !st)) break;
      if (st && ind === itemIndent) stages.push((st[2] ?? "").toLowerCase());
    }
    if (stages.includes("docker") && !stages.includes("cri")) {
      out.push({
        shipper: "promtail",
        detail: `pipeline_stages use the docker stage and no cri stage (stages: ${stages.join(", ")})`,
        fix: "a cri: {} stage in place of docker: {} (or Grafana Alloy's stage.cri)",
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- Grafana Alloy

/**
 * Alloy syntax with comments (`//`, `/* *\/`) and the contents of strings (`"…"` with escapes, raw
 * `` `…` ``) blanked to spaces, newlines kept: same length, so an index in it is an index in the text
 * (https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/syntax/).
 */
function alloyCode(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += c === '"' && text[j] === "\\" ? 2 : 1;
      blank(i + 1, Math.min(j, text.length));
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join("");
}

/** The end of the block whose `{` is just before `from` (index of its `}`, or the text's end). */
function blockEnd(code: string, from: number): number {
  let depth = 1;
  for (let j = from; j < code.length; j++) {
    if (code[j] === "{") depth++;
    else if (code[j] === "}" && --depth === 0) return j;
  }
  return code.length;
}

function alloy(text: string): LogConfigFinding[] {
  if (!text.includes("loki.process")) return [];
  const code = alloyCode(text);
  const out: LogConfigFinding[] = [];
  for (const m of code.matchAll(/\bloki\.process\s*"[^"\n]*"\s*\{/g)) {
    const open = m.index + m[0].length;
    const body = code.slice(open, blockEnd(code, open));
    // Nested stages (stage.match) count too: a docker stage there still parses its streams as Docker JSON.
    if (!/\bstage\.docker\s*\{/.test(body) || /\bstage\.cri\s*\{/.test(body)) continue;
    const q = m[0].indexOf('"');
    const label = text.slice(m.index + q + 1, m.index + m[0].lastIndexOf('"'));
    out.push({
      shipper: "alloy",
      detail: `loki.process "${label}" uses stage.docker and no stage.cri`,
      fix: "stage.cri {} in place of stage.docker {} in the loki.process block",
    });
  }
  return out;
}

// ---------------------------------------------------------------- OpenTelemetry Collector

/**
 * A collector config (top-level `receivers:` and an `operators:` list, the filelog receiver's) whose
 * `container` operator is pinned to `format: docker`. Charts write it from a runtime setting: the Splunk
 * chart's `logsCollection.containers.containerRuntime: docker`. `crio`/`containerd` and no format read CRI.
 */
function otelCollector(text: string): LogConfigFinding[] {
  if (!/^receivers\s*:/m.test(text) || !/^\s+operators\s*:/m.test(text)) return [];
  const pinned = yamlItems(text).some(
    (it) =>
      unquote(it.keys.get("type") ?? "").toLowerCase() === "container" &&
      unquote(it.keys.get("format") ?? "").toLowerCase() === "docker",
  );
  if (!pinned) return [];
  return [
    {
      shipper: "otel-collector",
      detail: "filelog container operator pinned to format: docker",
      fix: "the container operator without format (it detects Docker, containerd and CRI-O lines)",
    },
  ];
}

// ---------------------------------------------------------------- variables

/** Looks up a variable a config refers to (the container's env, fluent-bit `@SET`); undefined when unknown. */
export type VarLookup = (name: string) => string | undefined;

/**
 * `${NAME}` (fluent-bit, filebeat, promtail with -config.expand-env, vector), with a default as
 * `${NAME:default}` (Beats) or `${NAME:-default}` (promtail):
 * https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/classic-mode/variables,
 * https://www.elastic.co/guide/en/beats/filebeat/current/using-environ-vars.html,
 * https://grafana.com/docs/loki/latest/send-data/promtail/configuration/#use-environment-variables-in-the-configuration.
 */
const DOLLAR_VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-?([^}]*))?\}/g;
/**
 * fluentd's embedded Ruby: `"#{ENV['NAME']}"`, `"#{ENV['NAME'] || 'default'}"`, `"#{ENV.fetch('NAME', 'default')}"`
 * (https://docs.fluentd.org/configuration/config-file#embedded-ruby-code); the fluentd-kubernetes-daemonset
 * images pick their container-log parser this way.
 */
const RUBY_ENV =
  /#\{ENV(?:\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\](?:\s*\|\|\s*['"]([^'"]*)['"])?|\.fetch\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*(?:,\s*['"]([^'"]*)['"])?\s*\))\s*\}/g;

/** The names of the variables a config text refers to, in order of first use. */
export function configVarNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(DOLLAR_VAR)) names.add(m[1] ?? "");
  for (const m of text.matchAll(RUBY_ENV)) names.add(m[1] ?? m[3] ?? "");
  names.delete("");
  return [...names];
}

/**
 * Replaces the variables a lookup knows; with `defaults`, an unknown variable takes the default the text
 * gives it. Anything else stays as written (and so matches no parser name).
 */
export function expandConfigVars(text: string, lookup: VarLookup, defaults = true): string {
  if (!text.includes("${") && !text.includes("#{")) return text;
  const pick = (all: string, value: string | undefined, def: string | undefined) =>
    value ?? (defaults ? def : undefined) ?? all;
  return text
    .replace(DOLLAR_VAR, (all, name: string, def?: string) => pick(all, lookup(name), def))
    .replace(RUBY_ENV, (all, n1?: string, d1?: string, n2?: string, d2?: string) =>
      pick(all, lookup(n1 ?? n2 ?? ""), d1 ?? d2),
    );
}

/** fluent-bit `@SET NAME=value` lines (classic mode), which `${NAME}` in any included file can use. */
export function fluentBitSetVars(text: string, into: Map<string, string> = new Map()): Map<string, string> {
  if (!/@set/i.test(text)) return into;
  for (const m of text.matchAll(/^\s*@SET\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/gim)) {
    into.set(m[1] ?? "", unquote(m[2] ?? ""));
  }
  return into;
}

// ---------------------------------------------------------------- entry point

/**
 * Every finding below needs the config to name a Docker path or parser ("docker") or the kubelet's log
 * directories (".../containers", ".../pods"): most ConfigMaps are skipped on this test alone.
 */
const MAY_MATTER = /docker|containers|pods/i;

/**
 * All Docker-only log parsing found in one config text. `vars` gives the variables the text may use
 * (`Parser ${LOG_PARSER}`): fluent-bit `@SET`s of the same ConfigMap, and the env of the container that
 * reads it. Defaults written in the text (`${X:-docker}`, `#{ENV['X'] || 'json'}`) apply only when
 * `vars.complete` says the lookup is all the process will see: a ConfigMap read on its own does not
 * know the env of the pod that mounts it.
 */
export function dockerLogConfig(
  raw: string,
  vars?: { lookup: VarLookup; complete: boolean },
): LogConfigFinding[] {
  const text = vars ? expandConfigVars(raw, vars.lookup, vars.complete) : raw;
  if (!MAY_MATTER.test(text)) return [];
  return [
    ...fluentBitClassic(text),
    ...fluentBitYaml(text),
    ...fluentd(text),
    ...filebeat(text),
    ...promtail(text),
    ...alloy(text),
    ...otelCollector(text),
  ];
}
