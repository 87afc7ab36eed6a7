/**
 * The fixture cluster of the live audit (test/fixtures/cluster/NN-*.yaml; expected.ts
 * there say what the audit must find). Private images and the pull secrets that unlock them name the
 * placeholder registry `registry.fixture.invalid:5000` (`.invalid` never resolves, RFC 2606); tests
 * that check images pass their real registry's host, which replaces the placeholder in image
 * references and inside the base64 `.dockerconfigjson` / `.dockercfg` of the pull secrets.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { type FakeApiOptions, FakeApiServer } from "./server.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const CLUSTER_FIXTURE_DIR = join(import.meta.dirname, "../fixtures/cluster");
export const FIXTURE_REGISTRY = "registry.fixture.invalid:5000";

/** The fixture's files in load order (`NN-name.yaml`; small.yaml beside them is another cluster). */
export function clusterFixtureFiles(): string[] {
  return readdirSync(CLUSTER_FIXTURE_DIR)
    .filter((f) => /^\d\d-[a-z0-9-]+\.yaml$/.test(f))
    .sort()
    .map((f) => join(CLUSTER_FIXTURE_DIR, f));
}

const PULL_SECRET_KEYS: Record<string, string> = {
  "kubernetes.io/dockerconfigjson": ".dockerconfigjson",
  "kubernetes.io/dockercfg": ".dockercfg",
};

function rewritePullSecret(o: Obj, registry: string): void {
  const key = PULL_SECRET_KEYS[String(o.type)];
  if (!key || !isObj(o.data) || typeof o.data[key] !== "string") return;
  const json = Buffer.from(o.data[key], "base64").toString("utf8").replaceAll(FIXTURE_REGISTRY, registry);
  o.data = { ...o.data, [key]: Buffer.from(json, "utf8").toString("base64") };
}

/**
 * Every object of the fixture (List documents expanded), in file order. With `registry`, the
 * placeholder host is replaced by it in image references and pull secrets.
 */
export function clusterFixtureObjects(opts: { registry?: string } = {}): Obj[] {
  const out: Obj[] = [];
  for (const file of clusterFixtureFiles()) {
    let text = readFileSync(file, "utf8");
    if (opts.registry) text = text.replaceAll(FIXTURE_REGISTRY, opts.registry);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const v: unknown = doc.toJS();
      if (v === null || v === undefined) continue;
      if (!isObj(v)) throw new Error(`${file}: a document is not a mapping`);
      const items = String(v.kind).endsWith("List") && Array.isArray(v.items) ? v.items : [v];
      for (const item of items) {
        if (!isObj(item)) throw new Error(`${file}: a List item is not a mapping`);
        if (opts.registry && item.kind === "Secret") rewritePullSecret(item, opts.registry);
        out.push(item);
      }
    }
  }
  return out;
}

/** A fake API server holding the fixture cluster. */
export function startFixtureCluster(
  opts: FakeApiOptions & { registry?: string } = {},
): Promise<FakeApiServer> {
  const { registry, ...server } = opts;
  return FakeApiServer.start({
    gitVersion: "v1.34.2",
    ...server,
    objects: clusterFixtureObjects(registry ? { registry } : {}),
  });
}
