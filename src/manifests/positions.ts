/**
 * Maps document paths (["spec","volumes",2,"hostPath","path"]) to line/column. Parsing for positions
 * costs more than parsing for values, so it runs only for documents that have findings
 * (bench/files measures the difference), using js-yaml's event stream, which carries source offsets.
 */
import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from "js-yaml";
import type { DocPath } from "../core/types.js";
import { plainKeyString } from "./k8s-schema.js";
import { documentStarts, lineCol } from "./parse.js";

export interface Position {
  /** 1-based, in the file. */
  line: number;
  /** 1-based. */
  column: number;
}

export function positionKey(path: DocPath): string {
  return path.join("\u0000");
}

/** The wanted paths as a trie, so the event walk only tracks nodes on the way to a wanted path. */
interface Trie {
  children: Map<string, Trie>;
  /** Offset of the node's start in the document, once seen. */
  offset?: number;
}

const newTrie = (): Trie => ({ children: new Map() });

interface Frame {
  kind: "map" | "seq";
  /** The trie node of this collection; undefined when nothing below it is wanted. */
  trie: Trie | undefined;
  /** map: the pending key, undefined when the next scalar is a key. */
  key?: string | undefined;
  keyOffset?: number;
  /** seq: next index. */
  index: number;
}

/**
 * Returns positions for the given paths inside `text` (one document), parsing it for its events. A path
 * that does not exist (e.g. it points inside a flow scalar) resolves to its longest existing prefix. Paths
 * relative to the document root; `startLine` is the 0-based line where the document starts in its file.
 */
export function locatePaths(
  text: string,
  startLine: number,
  paths: readonly DocPath[],
): Map<string, Position> {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 200 });
  } catch {
    events = [];
  }
  return walkEvents(text, events, 0, events.length, paths, (offset) => {
    const lc = lineCol(text, offset);
    return { line: startLine + lc.line + 1, column: lc.column + 1 };
  });
}

/**
 * The events of a whole file, kept from the parse that loaded its documents (parse.ts parseFile), so
 * positions in a document with findings are found without parsing it again. Offsets are in the file's
 * text; where each document starts and where each line starts are found on first use.
 */
export class FileEvents {
  #documentStarts: number[] | undefined;
  #lineStarts: Int32Array | undefined;
  constructor(
    readonly text: string,
    readonly events: readonly Event[],
  ) {}

  /** Positions of `paths` in document `doc` (its ordinal, empty documents included; ParseResult.doc). */
  locateDocument(doc: number, paths: readonly DocPath[]): Map<string, Position> {
    this.#documentStarts ??= documentStarts(this.events);
    const from = this.#documentStarts[doc] ?? this.events.length;
    const to = this.#documentStarts[doc + 1] ?? this.events.length;
    return walkEvents(this.text, this.events, from, to, paths, (offset) => this.position(offset));
  }

  /** 1-based line and column of an offset in the file: the line starts are found once, then searched. */
  private position(offset: number): Position {
    this.#lineStarts ??= lineStarts(this.text);
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  }
}

function lineStarts(text: string): Int32Array {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return Int32Array.from(starts);
}

/** Walks events [from, to) of `text` and returns the positions of the wanted paths (relative to that node). */
function walkEvents(
  text: string,
  events: readonly Event[],
  from: number,
  to: number,
  paths: readonly DocPath[],
  toPosition: (offset: number) => Position,
): Map<string, Position> {
  const root = newTrie();
  for (const p of paths) {
    let t = root;
    for (const seg of p) {
      const k = String(seg);
      let next = t.children.get(k);
      if (!next) {
        next = newTrie();
        t.children.set(k, next);
      }
      t = next;
    }
  }
  const stack: Frame[] = [];
  /** Enters the next child of the current collection; returns its trie node (if wanted). */
  const enter = (offset: number): Trie | undefined => {
    const top = stack[stack.length - 1];
    let t: Trie | undefined;
    let at = offset;
    if (!top) {
      t = root;
    } else if (top.kind === "seq") {
      t = top.trie?.children.get(String(top.index));
      top.index++;
    } else {
      t = top.key === undefined ? undefined : top.trie?.children.get(top.key);
      at = top.keyOffset ?? offset;
      top.key = undefined;
    }
    if (t && t.offset === undefined) t.offset = at;
    return t;
  };
  for (let e = from; e < to; e++) {
    const ev = events[e] as Event;
    switch (ev.type) {
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", trie: enter(ev.start), index: 0 });
        break;
      case EVENT_ID.SCALAR: {
        const top = stack[stack.length - 1];
        const start = scalarStart(text, ev);
        if (top && top.kind === "map" && top.key === undefined) {
          // Decoding the key costs; skip it when nothing under this mapping is wanted.
          // A plain key resolves like a value (`on:` is the key "true"), as in the loaded document.
          top.key = !top.trie
            ? ""
            : ev.style === SCALAR_STYLE.PLAIN
              ? plainKeyString(getScalarValue(text, ev))
              : getScalarValue(text, ev);
          top.keyOffset = start;
        } else {
          enter(start);
        }
        break;
      }
      case EVENT_ID.ALIAS:
        enter(ev.anchorStart);
        break;
      case EVENT_ID.POP:
        stack.pop();
        break;
      default:
        break;
    }
  }
  const out = new Map<string, Position>();
  for (const p of paths) {
    let t: Trie | undefined = root;
    let best = root.offset;
    for (const seg of p) {
      t = t?.children.get(String(seg));
      if (t?.offset === undefined) break;
      best = t.offset;
    }
    if (best !== undefined) out.set(positionKey(p), toPosition(best));
  }
  return out;
}

/** Where a scalar starts as a reader sees it: the quote, or the `|`/`>` indicator of a block scalar. */
function scalarStart(text: string, ev: ScalarEvent): number {
  if (ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED)
    return ev.valueStart - 1;
  if (ev.style === SCALAR_STYLE.LITERAL_BLOCK || ev.style === SCALAR_STYLE.FOLDED_BLOCK) {
    const at = Math.max(text.lastIndexOf("|", ev.valueStart - 1), text.lastIndexOf(">", ev.valueStart - 1));
    if (at >= 0) return at;
  }
  return ev.valueStart;
}
