/**
 * Maps document paths (["spec","volumes",2,"hostPath","path"]) to line/column. Parsing for positions
 * costs more than parsing for values, so it runs only for documents that have findings
 * (bench/files measures the difference), using js-yaml's event stream, which carries source offsets.
 */
import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from "js-yaml";
import type { DocPath } from "../core/types.js";
import { lineCol } from "./parse.js";

export interface Position {
  /** 1-based, in the file. */
  line: number;
  /** 1-based. */
  column: number;
}

const keyOf = (path: DocPath) => path.join("\u0000");

interface Frame {
  kind: "map" | "seq";
  path: (string | number)[];
  /** map: the pending key, or undefined when the next scalar is a key. seq: next index. */
  key?: string | undefined;
  keyOffset?: number;
  index: number;
}

/**
 * Returns positions for the given paths inside `text` (one document). A path that does not exist
 * (e.g. it points inside a flow scalar) resolves to its longest existing prefix. Paths relative to
 * the document root; `startLine` is the 0-based line where the document starts in its file.
 */
export function locatePaths(text: string, startLine: number, paths: readonly DocPath[]): Map<string, Position> {
  const wanted = new Set<string>();
  for (const p of paths) for (let i = 0; i <= p.length; i++) wanted.add(keyOf(p.slice(0, i)));
  const found = new Map<string, number>();
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 200 });
  } catch {
    events = [];
  }
  const stack: Frame[] = [];
  // Records where the node at `path` starts: for a mapping entry, the key; for an item, the item.
  const note = (path: (string | number)[], offset: number) => {
    const k = keyOf(path);
    if (wanted.has(k) && !found.has(k)) found.set(k, offset);
  };
  const childPath = (offset: number): (string | number)[] | undefined => {
    const top = stack[stack.length - 1];
    if (!top) {
      note([], offset);
      return [];
    }
    if (top.kind === "seq") {
      const p = [...top.path, top.index++];
      note(p, offset);
      return p;
    }
    if (top.key === undefined) return undefined; // this node is a key
    const p = [...top.path, top.key];
    note(p, top.keyOffset ?? offset);
    top.key = undefined;
    return p;
  };
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const p = childPath(ev.start) ?? [];
        stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", path: p, index: 0 });
        break;
      }
      case EVENT_ID.SCALAR: {
        const top = stack[stack.length - 1];
        const start = scalarStart(text, ev);
        if (top && top.kind === "map" && top.key === undefined) {
          top.key = getScalarValue(text, ev);
          top.keyOffset = start;
        } else {
          childPath(start);
        }
        break;
      }
      case EVENT_ID.ALIAS:
        childPath(ev.anchorStart);
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
    for (let i = p.length; i >= 0; i--) {
      const off = found.get(keyOf(p.slice(0, i)));
      if (off !== undefined) {
        const lc = lineCol(text, off);
        out.set(keyOf(p), { line: startLine + lc.line + 1, column: lc.column + 1 });
        break;
      }
    }
  }
  return out;
}

/** Where a scalar starts as a reader sees it: the quote, or the `|`/`>` indicator of a block scalar. */
function scalarStart(text: string, ev: ScalarEvent): number {
  if (ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED) return ev.valueStart - 1;
  if (ev.style === SCALAR_STYLE.LITERAL_BLOCK || ev.style === SCALAR_STYLE.FOLDED_BLOCK) {
    const at = Math.max(text.lastIndexOf("|", ev.valueStart - 1), text.lastIndexOf(">", ev.valueStart - 1));
    if (at >= 0) return at;
  }
  return ev.valueStart;
}

export function positionKey(path: DocPath): string {
  return keyOf(path);
}
