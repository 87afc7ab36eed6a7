/**
 * Plain-scalar resolution as Kubernetes does it, as a js-yaml schema.
 *
 * kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml, which decodes with
 * go.yaml.in/yaml/v2 (v2.4.2 in sigs.k8s.io/yaml's go.mod today, https://github.com/kubernetes-sigs/yaml/blob/master/go.mod;
 * sigs.k8s.io/yaml/goyaml.v2 is an alias of it) into interface{} values. Its resolver is
 * https://github.com/yaml/go-yaml/blob/v2.4.2/resolve.go (`resolve`), and decoding into interface{}
 * is https://github.com/yaml/go-yaml/blob/v2.4.2/decode.go (`scalar`). The rules, each with a test in
 * test/unit/manifests/k8s-schema.test.ts:
 * - resolve.go `resolveMapList`: booleans y Y yes Yes YES true True TRUE on On ON (true) and
 *   n N no No NO false False FALSE off Off OFF (false); null "" ~ null Null NULL; .nan .NaN .NAN;
 *   .inf .Inf .INF +.inf +.Inf +.INF; -.inf -.Inf -.INF. Only exact spellings: `yEs` is a string.
 * - resolve.go `resolveTable`: only a scalar starting with a sign, a digit or `.` can be a number.
 * - `.`-first: Go strconv.ParseFloat of the text (`.5`, `.5e3`), no underscores.
 * - sign/digit-first: underscores are removed, then strconv.ParseInt(text, 0, 64): base prefixes 0x/0X,
 *   0o/0O, 0b/0B, and a leading 0 means octal (`0777` is 511, `010` is 8); then ParseUint for values
 *   above int64; then a YAML-style float `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
 *   (so `09` is 9.0, and `1e3` is 1000); a float out of float64's range stays a string.
 * - timestamps (`2001-12-14`) resolve in go-yaml but decode.go keeps their text when the target is
 *   interface{} ("for backward compatibility"), so they are strings, as in YAML 1.2.
 * - no base-60 numbers (`1:20` is a string), unlike YAML 1.1's spec (resolve.go: "purposefully unsupported").
 * - merge keys `<<` (decode.go `isMerge`).
 * js-yaml's own YAML11_SCHEMA differs (base 60, timestamps as Date), hence this schema.
 */
import {
  defineMappingTag,
  defineScalarTag,
  FAILSAFE_SCHEMA,
  mapTag,
  mergeTag,
  NOT_RESOLVED,
  Schema,
} from "js-yaml";

/**
 * resolveMapList's booleans. Compared by length first: most plain scalars are keys such as `name` or
 * `namespace`, which must fail fast (a Set would hash every one of them).
 */
function resolveBool(s: string): boolean | typeof NOT_RESOLVED {
  switch (s.length) {
    case 1:
      return s === "y" || s === "Y" ? true : s === "n" || s === "N" ? false : NOT_RESOLVED;
    case 2:
      return s === "on" || s === "On" || s === "ON"
        ? true
        : s === "no" || s === "No" || s === "NO"
          ? false
          : NOT_RESOLVED;
    case 3:
      return s === "yes" || s === "Yes" || s === "YES"
        ? true
        : s === "off" || s === "Off" || s === "OFF"
          ? false
          : NOT_RESOLVED;
    case 4:
      return s === "true" || s === "True" || s === "TRUE" ? true : NOT_RESOLVED;
    case 5:
      return s === "false" || s === "False" || s === "FALSE" ? false : NOT_RESOLVED;
    default:
      return NOT_RESOLVED;
  }
}

/** resolveMapList's nulls: "", "~", null, Null, NULL. */
function isNull(s: string): boolean {
  return s.length === 0 || s === "~" || (s.length === 4 && (s === "null" || s === "Null" || s === "NULL"));
}

const boolTag = defineScalarTag<boolean>("tag:yaml.org,2002:bool", {
  implicit: true,
  implicitFirstChars: [..."yYnNtTfFoO"],
  resolve: (source) => resolveBool(source),
  identify: (data: unknown) => typeof data === "boolean",
  represent: (data: boolean) => (data ? "true" : "false"),
});

const nullTag = defineScalarTag<null>("tag:yaml.org,2002:null", {
  implicit: true,
  implicitFirstChars: ["", "~", "n", "N"],
  resolve: (source) => (isNull(source) ? null : NOT_RESOLVED),
  identify: (data: unknown) => data === null,
  represent: () => "null",
});

const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, Number.NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);

/** Go strconv.ParseInt(s, 0, 64) syntax (https://pkg.go.dev/strconv#ParseInt), underscores already removed. */
const GO_INT = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))$/;
/** resolve.go yamlStyleFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's ParseFloat accepts for a `.`-first scalar (no underscores without a base prefix). */
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function goInt(plain: string): number | undefined {
  const m = GO_INT.exec(plain);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, zeroOct, dec] = m;
  // Most numbers are short decimals (ports, replicas): exact as doubles, no BigInt needed.
  if (dec !== undefined && dec.length <= 15) return sign === "-" ? -Number(dec) : Number(dec);
  const digits =
    hex !== undefined
      ? `0x${hex}`
      : oct !== undefined
        ? `0o${oct}`
        : bin !== undefined
          ? `0b${bin}`
          : zeroOct !== undefined
            ? `0o${zeroOct.slice(1) || "0"}`
            : (dec ?? "0");
  let v = BigInt(digits);
  if (sign === "-") v = -v;
  // ParseInt (int64), else ParseUint (uint64, no sign allowed).
  const fits = v >= INT64_MIN && (v < 2n ** 63n || (sign === "" && v <= UINT64_MAX));
  return fits ? Number(v) : undefined;
}

/** Up to 15 decimal digits without a leading 0 (ports, replicas): exact as a double, the common case. */
function shortDecimal(s: string): boolean {
  if (s.length > 15 || s.charCodeAt(0) === 48 /* 0 */) return s === "0";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function resolveNumber(source: string): number | typeof NOT_RESOLVED {
  if (shortDecimal(source)) return Number(source);
  if (source.length <= 5) {
    const special = SPECIAL_FLOATS.get(source);
    if (special !== undefined) return special;
  }
  if (source[0] === ".") {
    if (!DOT_FLOAT.test(source)) return NOT_RESOLVED;
    const f = Number(source);
    return Number.isFinite(f) ? f : NOT_RESOLVED;
  }
  const plain = source.includes("_") ? source.replaceAll("_", "") : source;
  const i = goInt(plain);
  if (i !== undefined) return i;
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    // ParseFloat fails with ErrRange beyond float64: go-yaml then keeps the string.
    if (Number.isFinite(f)) return f;
  }
  return NOT_RESOLVED;
}

const numberTag = defineScalarTag<number>("tag:yaml.org,2002:float", {
  implicit: true,
  implicitFirstChars: ["-", "+", ".", ..."0123456789"],
  resolve: (source) => resolveNumber(source),
  identify: (data: unknown) => typeof data === "number",
  represent: (data: number) => String(data),
});

/** An explicit `!!int` (go-yaml turns an int-tagged float text into an error; a number is close enough). */
const intTag = defineScalarTag<number>("tag:yaml.org,2002:int", {
  resolve: (source) => resolveNumber(source),
  identify: () => false,
});

/**
 * js-yaml's own mapping tag with a shortcut for string keys (nearly every key): `has` and `addPair`
 * without its String() conversion and Function.prototype.call, which made `has` alone 4% of
 * bench/files. Same results: other keys, and `__proto__` (stored as an own property), go to mapTag.
 */
const k8sMapTag = defineMappingTag<Record<string, unknown>>("tag:yaml.org,2002:map", {
  create: mapTag.create,
  identify: mapTag.identify,
  represent: mapTag.represent,
  keys: mapTag.keys,
  get: mapTag.get,
  addPair: (container, key, value) => {
    if (typeof key === "string" && key !== "__proto__") {
      container[key] = value;
      return "";
    }
    return mapTag.addPair(container, key, value);
  },
  has: (container, key) =>
    typeof key === "string" ? Object.hasOwn(container, key) : mapTag.has(container, key),
});

/** The schema documents are loaded with: go-yaml v2's scalar resolution, without merge keys. */
export const K8S_SCHEMA = new Schema([
  ...FAILSAFE_SCHEMA.tags.filter((t) => t !== mapTag),
  k8sMapTag,
  nullTag,
  boolTag,
  numberTag,
  intTag,
]);

/** With merge keys (`<<: *base`), used only for texts that contain `<<` (it checks every key). */
export const K8S_MERGE_SCHEMA = K8S_SCHEMA.withTags(mergeTag);

/**
 * The string a plain mapping key becomes in the loaded value (js-yaml turns resolved keys into strings,
 * as sigs.k8s.io/yaml's convertToJSONableObject does): `on` -> "true", `0x1F` -> "31". For positions.
 */
export function plainKeyString(source: string): string {
  const first = source.charAt(0);
  const b = resolveBool(source);
  if (b !== NOT_RESOLVED) return String(b);
  if (isNull(source)) return "null";
  if (first === "" || !"-+.0123456789".includes(first)) return source;
  const n = resolveNumber(source);
  return n === NOT_RESOLVED ? source : String(n);
}
