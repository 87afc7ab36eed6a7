// Plain scalars resolve as Kubernetes' YAML library does: go.yaml.in/yaml/v2 v2.4.2 (used by sigs.k8s.io/yaml).
// Each case names the line of https://github.com/yaml/go-yaml/blob/v2.4.2/resolve.go (or decode.go) it follows.
import { describe, expect, it } from "vitest";
import { parseChunk } from "../../../src/manifests/parse.js";
import { locatePaths, positionKey } from "../../../src/manifests/positions.js";
import { splitDocuments } from "../../../src/manifests/split.js";

/** Parses `v: <text>` through the product's parser and returns v. */
function scalar(text: string): unknown {
  const [chunk] = splitDocuments(`v: ${text}\n`);
  if (!chunk) throw new Error("no chunk");
  const r = parseChunk(chunk, false);
  if (!r.ok) throw new Error(r.error.message);
  return (r.value as { v: unknown }).v;
}

describe("YAML 1.1 scalars as go-yaml v2 resolves them", () => {
  it("resolve.go resolveMapList: yes/on/y and their listed case forms are true", () => {
    for (const t of ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
      expect({ t, v: scalar(t) }).toEqual({ t, v: true });
  });

  it("resolve.go resolveMapList: no/off/n and their listed case forms are false", () => {
    for (const t of ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])
      expect({ t, v: scalar(t) }).toEqual({ t, v: false });
  });

  it("resolve.go resolveMapList: other case forms and quoted forms stay strings", () => {
    for (const t of ["yEs", "oN", "nO", "OfF", "tRue", "yes!", "onion"]) expect(scalar(t)).toBe(t);
    expect(scalar('"yes"')).toBe("yes");
    expect(scalar("'on'")).toBe("on");
  });

  it("resolve.go resolveMapList: null ~ Null NULL and the empty value are null", () => {
    for (const t of ["~", "null", "Null", "NULL", ""]) expect(scalar(t)).toBeNull();
    expect(scalar("nULL")).toBe("nULL");
  });

  it("resolve.go resolveMapList: .inf/.nan spellings are floats", () => {
    expect(scalar(".inf")).toBe(Number.POSITIVE_INFINITY);
    expect(scalar("+.Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(scalar("-.INF")).toBe(Number.NEGATIVE_INFINITY);
    expect(scalar(".NaN")).toBeNaN();
    expect(scalar(".iNf")).toBe(".iNf");
  });

  it("resolve.go (ParseInt base 0): a leading 0 is octal, 0o/0x/0b are prefixes", () => {
    expect(scalar("0777")).toBe(511);
    expect(scalar("010")).toBe(8);
    expect(scalar("0o17")).toBe(15);
    expect(scalar("0x1F")).toBe(31);
    expect(scalar("0b101")).toBe(5);
    expect(scalar("-0b101")).toBe(-5);
    expect(scalar("+12")).toBe(12);
    expect(scalar("0")).toBe(0);
  });

  it('resolve.go: underscores are removed before parsing ("1_000")', () => {
    expect(scalar("1_000")).toBe(1000);
    expect(scalar("0x_ff")).toBe(255);
    expect(scalar("1_000.5")).toBe(1000.5);
  });

  it("resolve.go yamlStyleFloat: 09 is not octal but a float; exponents without a dot are floats", () => {
    expect(scalar("09")).toBe(9);
    expect(scalar("1e3")).toBe(1000);
    expect(scalar("-1.5")).toBe(-1.5);
    expect(scalar("+.5")).toBe(0.5);
  });

  it("resolve.go '.' hint: ParseFloat of the text", () => {
    expect(scalar(".5")).toBe(0.5);
    expect(scalar(".5e1")).toBe(5);
    expect(scalar(".")).toBe(".");
    expect(scalar(".5_0")).toBe(".5_0");
  });

  it("resolve.go: out of range floats and > uint64 hex stay strings (ParseFloat/ParseUint fail)", () => {
    expect(scalar("1e400")).toBe("1e400");
    expect(scalar("0x1FFFFFFFFFFFFFFFF")).toBe("0x1FFFFFFFFFFFFFFFF");
    expect(scalar("18446744073709551615")).toBe(2 ** 64); // ParseUint: above int64, a number
  });

  it('resolve.go: base 60 is "purposefully unsupported"', () => {
    expect(scalar("1:20")).toBe("1:20");
    expect(scalar("190:20:30")).toBe("190:20:30");
  });

  it("decode.go scalar: timestamps decoded into interface{} keep their text", () => {
    expect(scalar("2001-12-14")).toBe("2001-12-14");
    expect(scalar("2001-12-14t21:59:43.10-05:00")).toBe("2001-12-14t21:59:43.10-05:00");
  });

  it("resolve.go resolveTable: only sign, digit and '.' first characters can be numbers", () => {
    expect(scalar("v1")).toBe("v1");
    expect(scalar("_1")).toBe("_1");
    expect(scalar("1.2.3")).toBe("1.2.3");
    expect(scalar("0x")).toBe("0x");
  });

  it("decode.go isMerge: merge keys are honoured", () => {
    const [chunk] = splitDocuments("a: &a {x: yes}\nb:\n  <<: *a\n  z: off\n");
    const r = chunk ? parseChunk(chunk, false) : undefined;
    expect(r?.ok && r.value).toEqual({ a: { x: true }, b: { x: true, z: false } });
  });

  it("yaml.go convertToJSONableObject: bool and int keys become the strings sigs.k8s.io/yaml writes", () => {
    // https://github.com/kubernetes-sigs/yaml/blob/master/yaml.go: a bool key is "true"/"false", an int key its decimal.
    const [chunk] = splitDocuments("on: push\n0777: x\n");
    const r = chunk ? parseChunk(chunk, false) : undefined;
    expect(r?.ok && r.value).toEqual({ true: "push", "511": "x" });
  });
});

describe("positions of keys that resolve (on:, 0x1F:)", () => {
  it("locatePaths finds a path through a key as the loaded document spells it", () => {
    const text = "spec:\n  on:\n    0x1F: x\n  'on': y\n";
    const pos = locatePaths(text, 0, [
      ["spec", "true", "31"],
      ["spec", "on"],
    ]);
    expect(pos.get(positionKey(["spec", "true", "31"]))).toEqual({ line: 3, column: 5 });
    expect(pos.get(positionKey(["spec", "on"]))).toEqual({ line: 4, column: 3 });
  });
});

describe("mappings (the schema's own mapping tag: string keys take a shortcut)", () => {
  const parse = (text: string) => {
    const [chunk] = splitDocuments(text);
    if (!chunk) throw new Error("no chunk");
    return parseChunk(chunk, false);
  };

  it("a key written twice is still an error at the second key, string or resolved", () => {
    expect(parse("a: 1\nb: 2\na: 3\n")).toEqual({
      ok: false,
      error: { line: 3, column: 1, message: "invalid YAML: duplicated mapping key" },
    });
    // `on` resolves to true, whose key string is "true" (as sigs.k8s.io/yaml turns it into JSON).
    expect(parse("true: 1\non: 2\n")).toMatchObject({ ok: false, error: { line: 2 } });
    expect(parse("8080: a\n8080: b\n")).toMatchObject({ ok: false, error: { line: 2 } });
  });

  it("non-string keys become strings, and __proto__ is an own key, not the prototype", () => {
    const r = parse("8080: a\nyes: b\n__proto__: {x: 1}\n");
    expect(r.ok).toBe(true);
    const v = (r as { value: Record<string, unknown> }).value;
    expect(Object.keys(v)).toEqual(["8080", "true", "__proto__"]);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, "__proto__")?.value).toEqual({ x: 1 });
  });

  it("merge keys still merge, and an explicit key still overrides a merged one", () => {
    const r = parse("base: &b {image: a, name: x}\nc:\n  <<: *b\n  image: z\n");
    expect(r.ok && (r.value as { c: unknown }).c).toEqual({ image: "z", name: "x" });
  });
});
