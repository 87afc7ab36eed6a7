/**
 * Maps document paths (["spec","volumes",2,"hostPath","path"]) to line/column. Parsing for positions
 * costs more than parsing for values, so it runs only for documents that have findings
 * (bench/files measures the difference), using js-yaml's event stream, which carries source offsets.
 */
import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from "js-yaml";
import type { DocPath } from "../core/types.js";
import { plainKeyString } from "./k8s-schema.js";
import { lineCol } from "./parse.js";

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
 * Returns positions for the given paths inside `text` (one document). A path that does not exist
 * (e.g. it points inside a flow scalar) resolves to its longest existing prefix. Paths relative to
 * the document root; `startLine` is the 0-based line where the document starts in its file.
 */
export function locatePaths(
  text: string,
  startLine: number,
  paths: readonly DocPath[],
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
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 200 });
  } catch {
    events = [];
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
  for (const ev of events) {
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
    if (best !== undefined) {
      const lc = lineCol(text, best);
      out.set(positionKey(p), { line: startLine + lc.line + 1, column: lc.column + 1 });
    }
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
