// Where a pod template can land (nodeSelector, required node affinity) and the platforms its images
// are checked for in the cluster scan.
import { afterEach, describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import type { JsonObject } from "../../../src/core/workload.js";
import { scanCluster } from "../../../src/scan/cluster.js";
import { nodePlacement, schedulableOn, templatePlatforms } from "../../../src/scan/placement.js";
import { clusterFixtureObjects } from "../../fakeapi/cluster-fixture.js";
import { type Harness, harness } from "../kube/helpers.js";

const node = (name: string, labels: Record<string, string>, info: Record<string, string> = {}) =>
  nodePlacement({ metadata: { name, labels }, status: { nodeInfo: info } });

const NODES = [
  node("a", { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", pool: "gpu", cores: "64" }),
  node("b", { "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64" }),
  // Labels missing: os/arch from nodeInfo, also under the beta keys.
  node("w", {}, { operatingSystem: "windows", architecture: "amd64" }),
];
const names = (ps: { os: string; architecture: string }[] | undefined) =>
  ps?.map((p) => `${p.os}/${p.architecture}`);

describe("placement", () => {
  it("fills os/arch labels from nodeInfo, stable and beta", () => {
    expect(NODES[2]?.labels).toMatchObject({
      "kubernetes.io/os": "windows",
      "beta.kubernetes.io/os": "windows",
      "beta.kubernetes.io/arch": "amd64",
    });
  });

  it("is every node platform without constraints", () => {
    expect(names(templatePlatforms({}, {}, NODES))).toEqual(["linux/amd64", "linux/arm64", "windows/amd64"]);
  });

  it("follows nodeSelector on the stable and beta labels", () => {
    expect(names(templatePlatforms({}, { "kubernetes.io/os": "linux" }, NODES))).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    expect(names(templatePlatforms({}, { "beta.kubernetes.io/arch": "amd64" }, NODES))).toEqual([
      "linux/amd64",
      "windows/amd64",
    ]);
    expect(names(templatePlatforms({}, { pool: "gpu" }, NODES))).toEqual(["linux/amd64"]);
  });

  it("follows required node affinity: terms ORed, expressions ANDed, every operator", () => {
    const affinity = (terms: JsonObject[]): JsonObject => ({
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
      },
    });
    const expr = (key: string, operator: string, values: string[] = []): JsonObject => ({
      key,
      operator,
      values,
    });
    const t = (...e: JsonObject[]): JsonObject => ({ matchExpressions: e });
    expect(
      names(templatePlatforms(affinity([t(expr("kubernetes.io/arch", "In", ["arm64"]))]), {}, NODES)),
    ).toEqual(["linux/arm64"]);
    expect(
      names(templatePlatforms(affinity([t(expr("kubernetes.io/os", "NotIn", ["windows"]))]), {}, NODES)),
    ).toEqual(["linux/amd64", "linux/arm64"]);
    expect(names(templatePlatforms(affinity([t(expr("pool", "Exists"))]), {}, NODES))).toEqual([
      "linux/amd64",
    ]);
    expect(names(templatePlatforms(affinity([t(expr("pool", "DoesNotExist"))]), {}, NODES))).toEqual([
      "linux/arm64",
      "windows/amd64",
    ]);
    expect(names(templatePlatforms(affinity([t(expr("cores", "Gt", ["32"]))]), {}, NODES))).toEqual([
      "linux/amd64",
    ]);
    expect(names(templatePlatforms(affinity([t(expr("cores", "Lt", ["32"]))]), {}, NODES))).toBeUndefined();
    expect(
      names(
        templatePlatforms(
          affinity([
            t(expr("kubernetes.io/os", "In", ["windows"])),
            t(expr("kubernetes.io/os", "In", ["linux"]), expr("kubernetes.io/arch", "In", ["arm64"])),
          ]),
          {},
          NODES,
        ),
      ),
    ).toEqual(["linux/arm64", "windows/amd64"]);
    // nodeSelector and affinity must both hold.
    expect(
      schedulableOn(
        affinity([t(expr("kubernetes.io/arch", "In", ["amd64"]))]),
        { "kubernetes.io/os": "windows" },
        NODES[0]?.labels ?? {},
      ),
    ).toBe(false);
  });

  it("is undefined when no known node matches (the caller uses every node platform)", () => {
    expect(templatePlatforms({}, { pool: "missing" }, NODES)).toBeUndefined();
  });
});

describe("scanCluster image platforms", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("checks an image for the platforms its workloads can land on, all node platforms otherwise", async () => {
    h = await harness({ fixtures: [], objects: clusterFixtureObjects() });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
      collectImages: true,
    });
    // The scanner DaemonSet and its pod select kubernetes.io/os=linux.
    expect(names(r.images.get("registry.example.com/sec/scanner:3.1.0")?.platforms)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    // No constraint: every platform among the nodes, the Windows node included.
    const all = names(r.images.get("registry.fixture.invalid:5000/ci/runner:2.19.0")?.platforms);
    expect(all).toContain("windows/amd64");
    expect(all).toContain("linux/arm64");
    // --platform given: no per-image platforms, the target's apply.
    const fixed = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
      collectImages: true,
      platformsFromNodes: false,
    });
    expect(fixed.images.get("registry.example.com/sec/scanner:3.1.0")?.platforms).toBeUndefined();
  });
});
