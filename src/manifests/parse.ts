/**
 * Parses one document chunk with js-yaml (the fastest YAML parser on npm; see bench/files), with the
 * guards untrusted input needs: alias-expansion bombs, nesting depth, and helpful messages for
 * unrendered Helm templates.
 */
import {
  constructFromEvents,
  EVENT_ID,
  type Event,
  load,
  parseEvents,
  type Schema,
  YAMLException,
} from "js-yaml";
import { K8S_MERGE_SCHEMA, K8S_SCHEMA } from "./k8s-schema.js";
import type { DocumentChunk } from "./split.js";

/**
 * An expansion bomb needs anchors (`&name` after a space, a flow indicator or the line start; YAML
 * 1.2.2 §6.9.2). Shell `&&` and `a=1&b=2` in URLs are not anchors; only documents with one are walked.
 */
const BEFORE_ANCHOR = /[\s[{,]/;
const NOT_ANCHOR_NAME = /[\s,[\]{}&]/;

/**
 * Whether the text may hold an anchor: the same answer as /(?:^|[\s[{,])&[^\s,[\]{}&]/m.test(text), found
 * from each "&" instead of tried at every position (on a 100 kB file with no anchor that regex walked
 * every character: 6% of bench/files); most manifests hold few "&".
 */
export function mayHaveAnchor(text: string): boolean {
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    const next = text[i + 1];
    if (next === undefined || NOT_ANCHOR_NAME.test(next)) continue;
    const prev = text[i - 1];
    // ^ in multiline mode: the text's start, or just after a line terminator (which \s covers).
    if (prev === undefined || BEFORE_ANCHOR.test(prev)) return true;
  }
  return false;
}

/** How many nodes a document may expand to through aliases before we call it a bomb. */
const MAX_EXPANDED_NODES = 1_000_000;

export interface ParseError {
  /** 1-based, in the file. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

export type ParseResult =
  | {
      ok: true;
      value: unknown;
      /** The document's ordinal among the file's documents, empty ones included (FileEvents.locateDocument). */
      doc?: number;
    }
  | { ok: false; error: ParseError };

/** Every chunk's result and, when the file was parsed in one pass, the file's events (offsets in its text). */
export interface ParsedFile {
  results: ParseResult[];
  events?: readonly Event[];
}

/**
 * Where each document of a parsed stream starts in its events: at its DOCUMENT event (constructFromEvents
 * makes one document of each, empty ones included, so index k is document k).
 */
export function documentStarts(events: readonly Event[]): number[] {
  const starts: number[] = [];
  for (let e = 0; e < events.length; e++) if (events[e]?.type === EVENT_ID.DOCUMENT) starts.push(e);
  return starts;
}

/** Larger files are parsed document by document, so their documents are never all in memory at once. */
const WHOLE_FILE_MAX = 8 * 1024 * 1024;

/**
 * js-yaml options for a text: scalars resolve as Kubernetes' YAML library resolves them (k8s-schema.ts;
 * `hostNetwork: yes` is true). Kubernetes honours merge keys (`<<: *base`); the merge-aware schema checks
 * every key, so it is used only for texts that contain "<<".
 */
function loadOptions(text: string): { schema: Schema; maxDepth: number } {
  return { schema: text.includes("<<") ? K8S_MERGE_SCHEMA : K8S_SCHEMA, maxDepth: 200 };
}

/**
 * Parses every chunk of a file. Fast path: one parse over the whole file (one parser set-up instead of
 * one per document; bench/files measured ~20%), mapped back to the chunks. When the file has an error,
 * or its documents do not line up with the chunks, each chunk is parsed on its own so one bad document
 * never hides the others and errors keep their own line.
 *
 * The fast path is js-yaml's loadAll in its two steps (parseEvents, then constructFromEvents with the
 * options loadAll passes): the events are kept, so the documents that have findings are located
 * without being parsed a second time (positions.ts FileEvents).
 */
export function parseFile(text: string, chunks: readonly DocumentChunk[], json: boolean): ParsedFile {
  if (!json && chunks.length > 1 && text.length <= WHOLE_FILE_MAX) {
    let events: Event[] | undefined;
    let docs: unknown[] | undefined;
    try {
      const opts = loadOptions(text);
      events = parseEvents(text, { maxDepth: opts.maxDepth });
      docs = constructFromEvents(events, { schema: opts.schema, source: text });
    } catch {
      docs = undefined;
    }
    if (docs && events) {
      const all = events;
      // The splitter drops empty and comment-only documents; js-yaml returns them as null.
      let values = docs;
      let ordinals: number[] | undefined;
      if (values.length !== chunks.length) {
        // An empty document is a DOCUMENT event, an empty plain scalar with no text, and its POP; a
        // literal `~` or `null` has text, and keeps its place.
        const starts = documentStarts(all);
        const keep = docs.map((_, k) => !isEmptyDocument(all, starts[k] ?? 0, starts[k + 1] ?? all.length));
        values = values.filter((_, k) => keep[k]);
        ordinals = docs.map((_, k) => k).filter((k) => keep[k]);
      }
      if (values.length === chunks.length) {
        const mayExpand = mayHaveAnchor(text);
        const results = chunks.map((chunk, i): ParseResult => {
          const value = values[i];
          if (mayExpand && tooLarge(value)) return bomb(chunk);
          return { ok: true, value, doc: ordinals ? (ordinals[i] as number) : i };
        });
        return { results, events: all };
      }
    }
  }
  return { results: chunks.map((c) => parseChunk(c, json)) };
}

function isEmptyDocument(events: readonly Event[], from: number, to: number): boolean {
  if (to - from > 3) return false;
  const ev = events[from + 1];
  return (
    ev !== undefined &&
    ev.type === EVENT_ID.SCALAR &&
    ev.valueStart < 0 &&
    ev.tagStart < 0 &&
    ev.anchorStart < 0
  );
}

/** parseFile's results alone. */
export function parseChunks(text: string, chunks: readonly DocumentChunk[], json: boolean): ParseResult[] {
  return parseFile(text, chunks, json).results;
}

function bomb(chunk: DocumentChunk): ParseResult {
  return {
    ok: false,
    error: {
      line: chunk.startLine + 1,
      column: 1,
      message: "YAML aliases expand to over a million nodes (an alias bomb?); not parsed",
    },
  };
}

export function parseChunk(chunk: DocumentChunk, json: boolean): ParseResult {
  let value: unknown;
  try {
    value = json ? JSON.parse(chunk.text) : load(chunk.text, loadOptions(chunk.text));
  } catch (err) {
    return { ok: false, error: describe(err, chunk, json) };
  }
  if (!json && mayHaveAnchor(chunk.text) && tooLarge(value)) return bomb(chunk);
  return { ok: true, value };
}

/** Counts nodes as a consumer walking the tree would see them (aliases expanded), stopping early. */
function tooLarge(root: unknown): boolean {
  let budget = MAX_EXPANDED_NODES;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (--budget < 0) return true;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (typeof v === "object" && v !== null) {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return false;
}

function describe(err: unknown, chunk: DocumentChunk, json: boolean): ParseError {
  const helm = /\{\{.*\}\}|\{\{-|-\}\}/.test(chunk.text);
  const hint = helm ? " (this looks like an unrendered Helm template: run `helm template` first)" : "";
  if (err instanceof YAMLException) {
    const mark = err.mark;
    const line = chunk.startLine + (mark ? mark.line : 0) + 1;
    const column = (mark ? mark.column : 0) + 1;
    return { line, column, message: `invalid YAML: ${err.reason || "syntax error"}${hint}` };
  }
  if (json && err instanceof SyntaxError) {
    const pos = /position (\d+)/.exec(err.message);
    const lc = pos ? lineCol(chunk.text, Number(pos[1])) : { line: 0, column: 0 };
    return {
      line: chunk.startLine + lc.line + 1,
      column: lc.column + 1,
      message: `invalid JSON: ${err.message.replace(/ in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)$/, "")}`,
    };
  }
  return {
    line: chunk.startLine + 1,
    column: 1,
    message: `could not parse: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}${hint}`,
  };
}

/** 0-based line and column of an offset. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 0;
  let last = -1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last - 1 };
}

/**
 * Parses a YAML or JSON document embedded as a string in an object (an Argo `podSpecPatch`) as the
 * manifests themselves are parsed (Kubernetes' scalar rules, the alias bomb guard). Throws on bad text.
 */
export function parseEmbedded(text: string): unknown {
  const r = parseChunk({ index: 0, text, startLine: 0 }, false);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
