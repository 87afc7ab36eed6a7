import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { parseChunk, parseChunks, parseFile } from "../../../src/manifests/parse.js";
import { FileEvents, locatePaths, positionKey } from "../../../src/manifests/positions.js";
import { splitDocuments } from "../../../src/manifests/split.js";

const stream = [
  "# leading comment",
  "---",
  "apiVersion: v1",
  "kind: Pod",
  "metadata: {name: x}",
  "spec:",
  "  containers:",
  "  - name: a",
  '    command: ["sh", "-c",',
  '      "docker ps"]',
  "  volumes:",
  "    - name: s",
  "      hostPath:",
  "        path: /var/run/docker.sock",
  "--- {kind: X}",
  "...",
  "---",
  "# only a comment",
  "---",
  "kind: Z",
  "data:",
  "  k: |",
  "    --- not a marker: indented",
  "",
].join("\n");

describe("splitDocuments", () => {
  it("splits on document markers and keeps start lines", () => {
    const chunks = splitDocuments(stream);
    expect(chunks.map((c) => c.startLine)).toEqual([2, 14, 19]);
    expect(parseChunk(chunks[1]!, false)).toEqual({ ok: true, value: { kind: "X" } });
    const third = parseChunk(chunks[2]!, false);
    expect(third.ok && third.value).toEqual({ kind: "Z", data: { k: "--- not a marker: indented\n" } });
  });

  it("reports parse errors at the line in the file, not in the chunk", () => {
    const chunks = splitDocuments("kind: A\n---\nkind: B\nmetadata:\n  name: [unclosed\n---\nkind: C\n");
    expect(chunks).toHaveLength(3);
    const bad = parseChunk(chunks[1]!, false);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.line).toBeGreaterThanOrEqual(5);
    expect(parseChunk(chunks[2]!, false).ok).toBe(true);
  });

  it("rejects alias bombs", () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]",
    ].join("\n");
    const r = parseChunk({ index: 0, text: bomb, startLine: 0 }, false);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/alias/);
  });

  it("gives a Helm hint for unrendered templates", () => {
    const r = parseChunk(
      { index: 0, text: "kind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n", startLine: 4 },
      false,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/helm template/);
  });
});

describe("locatePaths", () => {
  it("finds keys, items and falls back to the longest prefix inside flow text", () => {
    const [c0] = splitDocuments(stream);
    const paths = [
      ["spec", "volumes", 0, "hostPath", "path"],
      ["spec", "containers", 0, "command", 2],
      ["spec", "containers", 0, "command", 9],
      ["metadata", "name"],
    ];
    const pos = locatePaths(c0!.text, c0!.startLine, paths);
    expect(pos.get(positionKey(paths[0]!))).toEqual({ line: 14, column: 9 });
    expect(pos.get(positionKey(paths[1]!))).toEqual({ line: 10, column: 7 });
    expect(pos.get(positionKey(paths[2]!))).toEqual({ line: 9, column: 5 });
    expect(pos.get(positionKey(paths[3]!))).toEqual({ line: 5, column: 12 });
  });

  it("agrees with the yaml package on every node of a realistic document", () => {
    const text = [
      "apiVersion: apps/v1",
      "kind: DaemonSet",
      "metadata:",
      "  name: agent",
      "  annotations:",
      '    "seccomp.security.alpha.kubernetes.io/pod": docker/default',
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: agent",
      "          image: example/agent:1",
      "          args:",
      "            - --docker",
      "            - |",
      "              multi",
      "              line",
      "          env:",
      "          - {name: DOCKER_HOST, value: 'unix:///var/run/docker.sock'}",
      "      volumes:",
      "      - name: run",
      "        hostPath: {path: /var/run}",
      "",
    ].join("\n");
    const doc = parseDocument(text, { keepSourceTokens: true });
    const paths: (string | number)[][] = [];
    const expected = new Map<string, number>();
    const walk = (node: unknown, path: (string | number)[]) => {
      if (node && typeof node === "object" && "items" in node && Array.isArray(node.items)) {
        node.items.forEach((item: unknown, i: number) => {
          if (item && typeof item === "object" && "key" in item && "value" in item) {
            const key = item.key as { value: unknown; range: [number, number, number] };
            const p = [...path, String(key.value)];
            paths.push(p);
            expected.set(positionKey(p), key.range[0]);
            walk(item.value, p);
          } else {
            const p = [...path, i];
            const range = (item as { range?: [number, number, number] }).range;
            if (range) {
              paths.push(p);
              expected.set(positionKey(p), range[0]);
            }
            walk(item, p);
          }
        });
      }
    };
    walk(doc.contents, []);
    expect(paths.length).toBeGreaterThan(20);
    const got = locatePaths(text, 0, paths);
    for (const p of paths) {
      const off = expected.get(positionKey(p))!;
      const line = text.slice(0, off).split("\n").length;
      expect({ p, line: got.get(positionKey(p))?.line }).toEqual({ p, line });
    }
  });
});

describe("parseChunk merge keys", () => {
  it("honours YAML merge keys as kubectl does", () => {
    const text = "base: &b {image: x, name: a}\nc:\n  <<: *b\n  name: override\n";
    const r = parseChunk({ index: 0, text, startLine: 0 }, false);
    expect(r.ok && r.value).toEqual({ base: { image: "x", name: "a" }, c: { image: "x", name: "override" } });
  });
});

describe("parseChunks", () => {
  /** Results without the event ranges (their use is tested below, through FileEvents). */
  const parseAll = (text: string) =>
    parseChunks(text, splitDocuments(text), false).map((r) =>
      r.ok ? { ok: true as const, value: r.value } : r,
    );

  it("maps whole-file results back to the chunks, skipping empty documents", () => {
    const r = parseAll("---\n# nothing\n---\nkind: A\n---\n---\nkind: B\n...\n");
    expect(r).toEqual([
      { ok: true, value: { kind: "A" } },
      { ok: true, value: { kind: "B" } },
    ]);
  });

  it("falls back to one parse per document when one is broken, keeping the others", () => {
    const r = parseAll("kind: A\n---\nkind: [B\n---\nkind: C\n");
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
    const bad = r[1];
    if (bad && !bad.ok) expect(bad.error.line).toBeGreaterThanOrEqual(3);
    expect(r[2]).toEqual({ ok: true, value: { kind: "C" } });
  });

  it("keeps a literal null document aligned", () => {
    const r = parseAll("kind: A\n---\n~\n---\nkind: C\n");
    expect(r).toEqual([
      { ok: true, value: { kind: "A" } },
      { ok: true, value: null },
      { ok: true, value: { kind: "C" } },
    ]);
  });

  it("finds an alias bomb among good documents", () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
      .concat(
        ["b", "c", "d", "e", "f", "g"].map((k, i) => {
          const prev = "abcdefg"[i];
          return `${k}: &${k} [${Array(10).fill(`*${prev}`).join(",")}]`;
        }),
      )
      .join("\n");
    const r = parseAll(`kind: A\n---\n${bomb}\n---\nkind: C\n`);
    expect(r.map((x) => x.ok)).toEqual([true, false, true]);
  });
});

describe("anchor detection", () => {
  it("walks documents with anchors and not those with shell && or URL &", () => {
    // A bomb behind "- &a" in a block sequence and after ": " is still found.
    const seqBomb = ["a:", '  - &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const k of ["b", "c", "d", "e", "f", "g"]) {
      const prev = String.fromCharCode(k.charCodeAt(0) - 1);
      seqBomb.push(`${k}: &${k} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    const r = parseChunk({ index: 0, text: seqBomb.join("\n"), startLine: 0 }, false);
    expect(r.ok).toBe(false);
    const shell = parseChunk(
      {
        index: 0,
        text: 'args: ["make && make install", "http://x/?a=1&b=2"]\nschedule: "*/5 * * * *"\n',
        startLine: 0,
      },
      false,
    );
    expect(shell.ok).toBe(true);
  });
});

describe("FileEvents", () => {
  // The files scan locates findings in the events of the parse that loaded the file; each document must
  // get the positions a parse of its own chunk gives (documents after empty, null and inline-marker ones).
  const text = [
    "# header",
    "---",
    "# only a comment",
    "---",
    "kind: A",
    "spec:",
    "  volumes:",
    "    - name: d",
    "      hostPath: {path: /var/run/docker.sock}",
    "---",
    "~",
    "--- {kind: B, spec: {x: [1, 2, {y: z}]}}",
    "...",
    "---",
    "kind: C",
    "on: yes",
    "list:",
    "- a",
    "- 'b'",
    "- |",
    "  text",
    "",
  ].join("\n");
  const paths = [
    ["kind"],
    ["spec", "volumes", 0, "hostPath", "path"],
    ["spec", "x", 2, "y"],
    ["true"],
    ["list", 1],
    ["list", 2],
    ["missing", "below"],
  ];

  it("gives each document the positions a parse of its own chunk gives", () => {
    const chunks = splitDocuments(text);
    const parsed = parseFile(text, chunks, false);
    expect(parsed.events).toBeDefined();
    const file = new FileEvents(text, parsed.events ?? []);
    expect(chunks).toHaveLength(4);
    let located = 0;
    for (const [i, chunk] of chunks.entries()) {
      const r = parsed.results[i];
      if (!r?.ok || r.doc === undefined) throw new Error(`document ${i} has no ordinal`);
      const want = locatePaths(chunk.text, chunk.startLine, paths);
      const got = file.locateDocument(r.doc, paths);
      expect(got).toEqual(want);
      located += got.size;
    }
    // Not vacuous: the wanted paths were found where they exist.
    expect(located).toBeGreaterThan(8);
    const last = parsed.results[3];
    expect(last?.ok && last.doc).toBe(4);
    if (last?.ok && last.doc !== undefined)
      expect(file.locateDocument(last.doc, [["list", 2]]).get(positionKey(["list", 2]))).toEqual({
        line: 20,
        column: 3,
      });
  });
});
