// The cluster scan resolves env and mounted log configs from the cluster's ConfigMaps and Secrets, read
// by name (never listed), as the files scan does with the ConfigMaps and Secrets of its input.
import { afterEach, describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import { scanCluster } from "../../../src/scan/cluster.js";
import { type Harness, harness } from "./helpers.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const PARSER_CONF =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: fluent-bit's own ${VAR} syntax
  "[INPUT]\n    Name   tail\n    Path   /var/log/containers/*.log\n    Parser ${LOG_PARSER}\n";

function shipper(name: string, env: Record<string, unknown>[], envFrom: Record<string, unknown>[] = []) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: "logging" },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "fluent-bit",
              image: "cr.fluentbit.io/fluent/fluent-bit:1.9.10",
              env,
              envFrom,
              volumeMounts: [{ name: "config", mountPath: "/fluent-bit/etc/" }],
            },
          ],
          volumes: [{ name: "config", configMap: { name: "fb-config" } }],
        },
      },
    },
  };
}

const OBJECTS = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "logging" } },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "fb-config", namespace: "logging" },
    data: { "input.conf": PARSER_CONF },
  },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "fb-vars", namespace: "logging" },
    data: { LOG_PARSER: "docker" },
  },
  {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "fb-secret-vars", namespace: "logging" },
    type: "Opaque",
    data: { LOG_PARSER: b64("docker") },
  },
  // A Secret nothing references: never read.
  {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "unrelated", namespace: "logging" },
    type: "Opaque",
    data: {},
  },
  shipper("fb-from-configmap", [], [{ configMapRef: { name: "fb-vars" } }]),
  shipper("fb-from-secret", [
    { name: "LOG_PARSER", valueFrom: { secretKeyRef: { name: "fb-secret-vars", key: "LOG_PARSER" } } },
  ]),
  shipper("fb-cri", [{ name: "LOG_PARSER", value: "cri" }]),
];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function scan(readSecrets?: boolean) {
  h = await harness({ fixtures: [], objects: OBJECTS });
  return scanCluster({
    kubeconfig: h.kubeconfig,
    env: {},
    target: makeTarget({ k8s: "1.35" }),
    ignore: new Set(),
    ...(readSecrets === undefined ? {} : { readSecrets }),
  });
}

const parserFindings = (r: Awaited<ReturnType<typeof scan>>) =>
  r.findings
    .filter((f) => f.ruleId === "W007" && /LOG_PARSER=docker/.test(f.message))
    .map((f) => `${f.severity} ${f.subject.name}`)
    .sort();

describe("scanCluster env from the cluster", () => {
  it("judges LOG_PARSER from a ConfigMap (envFrom) and a Secret (secretKeyRef) as in files", async () => {
    const r = await scan();
    expect(parserFindings(r)).toEqual(["high fb-from-configmap", "high fb-from-secret"]);
    const reads = h?.server.log.filter((e) => e.resource === "configmaps" || e.resource === "secrets") ?? [];
    expect(reads.map((e) => `${e.verb} ${e.resource} ${e.namespace}/${e.name}`).sort()).toEqual([
      "get configmaps logging/fb-config",
      "get configmaps logging/fb-vars",
      "get secrets logging/fb-secret-vars",
    ]);
    expect(r.coverage.errors).toEqual([]);
    // Each shipper is audited once.
    expect(r.coverage.workloads).toBe(3);
  });

  it("reads no Secret with readSecrets off (--no-secrets): ConfigMaps still resolve", async () => {
    const r = await scan(false);
    expect(parserFindings(r)).toEqual(["high fb-from-configmap"]);
    expect(h?.server.log.filter((e) => e.resource === "secrets")).toEqual([]);
  });

  it("a refused Secret get is a warning, not an incomplete audit", async () => {
    h = await harness({ fixtures: [], objects: OBJECTS });
    h.server.denials.push({ verb: "get", resource: "secrets" });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
    });
    expect(parserFindings(r)).toEqual(["high fb-from-configmap"]);
    expect(r.coverage.errors).toEqual([]);
    expect(r.coverage.warnings?.map((w) => w.reason)).toEqual([
      expect.stringMatching(/missing permission: .*secrets.*fb-secret-vars.*not resolved/),
    ]);
  });
});
