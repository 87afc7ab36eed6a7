/**
 * Splits a YAML stream into documents without parsing it, so each document is parsed (and fails)
 * on its own and keeps its starting line.
 *
 * A line that starts with `---` or `...` followed by a space, tab or end of line is a document
 * marker wherever it appears: YAML 1.2.2 §9.1.2 forbids such lines inside scalars ("c-forbidden",
 * https://yaml.org/spec/1.2.2/#912-document-markers), so splitting on them is exact.
 */

export interface DocumentChunk {
  /** 0-based index in the file. */
  index: number;
  /** The document text. Content after `---` on the marker line is kept, padded to keep its column. */
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  startLine: number;
}

const MARKER = /^(---|\.\.\.)(?=[ \t\r]|$)/;

export function splitDocuments(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  let start = 0;
  let startLine = 0;
  let lineNo = 0;
  let pos = 0;
  let buf: string[] | undefined; // only used when a marker line carries content
  const push = (endPos: number) => {
    const body = buf ? buf.join("") + text.slice(start, endPos) : text.slice(start, endPos);
    buf = undefined;
    if (body.trim() !== "" && !isOnlyComments(body)) {
      chunks.push({ index: chunks.length, text: body, startLine });
    }
  };
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const c = text.charCodeAt(pos);
    if (c === 45 /* - */ || c === 46 /* . */) {
      const line = text.slice(pos, lineEnd);
      const m = MARKER.exec(line);
      if (m) {
        push(pos);
        const rest = line.slice(3);
        start = nl === -1 ? text.length : nl + 1;
        startLine = lineNo;
        if (m[1] === "---" && rest.trim() !== "" && !rest.trim().startsWith("#")) {
          // "--- {a: 1}" or "--- !tag": keep the content on this line, columns intact.
          buf = [`   ${rest}${nl === -1 ? "" : "\n"}`];
        } else {
          startLine = lineNo + 1;
        }
        if (m[1] === "...") startLine = lineNo + 1;
      }
    }
    if (nl === -1) break;
    pos = nl + 1;
    lineNo++;
  }
  push(text.length);
  return chunks;
}

/** A line with content other than a comment or a directive. */
const CONTENT_LINE = /^[ \t]*[^#%\s]/m;

function isOnlyComments(body: string): boolean {
  return !CONTENT_LINE.test(body);
}
