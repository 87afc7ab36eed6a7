/**
 * Differential test: the tool's verdicts against real pullers, image × platform × oracle.
 *
 * Tool side: `RegistryClient.inspect` (src/registry) + `judgeImage` (src/rules/image) for every row an
 * oracle proves (harness/oracle-list.ts). Oracle side, on the same registry and crafted images
 * (harness/crafted.ts):
 *
 * - containerd 1.6 (Debian 12), 1.7.24 (trixie) and 2.1.9 (sid): a real CRI PullImage, the kubelet's
 *   call, for linux/amd64 (the host). After a successful pull, `ctr images check` tells whether a
 *   rootfs was unpacked (artifacts pull without one on 1.7/2.1). For linux/arm64, which this host's
 *   CRI cannot pull for, that version's ctr makes the choices an arm64 node's CRI would
 *   (harness/ctr-recipe.ts, docs/oracles.md), on every image; the same steps for linux/amd64 must
 *   give what the real CRI gave, on every image, or the arm64 column would not stand for the CRI.
 * - containers/image 5.23 (podman 4.3.1), 5.34 (skopeo 1.18) and 5.39 (skopeo 1.22): the `copy.Image`
 *   into containers-storage that CRI-O's PullImage makes, for linux/amd64 and, when the image offers
 *   it, linux/arm64.
 * - Docker Engine 28.5.2 (Debian sid `docker.io`, classic image store on vfs): an Engine API pull with
 *   `platform`, for the same platforms; it stands for the `cri-dockerd@28.2` row (Docker Engine 28.2+).
 *
 * Agreement, per cell:
 * - the pull fails ⇔ the verdict is `incompatible` with a pull-stage finding (on CRI-O ≥ 1.33 rows an
 *   `incompatible` verdict at either stage also agrees: CRI-O then retries the pull as an OCI
 *   artifact, which no container can start from; see oracle-list.ts);
 * - the pull succeeds without a rootfs (containerd ≥ 1.7, `unpacked: false`) ⇔ `incompatible` at the run stage;
 * - the pull succeeds ⇔ `compatible`/`warning`, or `incompatible` at the run stage only where the image
 *   does not offer the platform (it pulls, then cannot exec; artifacts offer none).
 * `unknown` never agrees: every crafted image is reachable. Some cases depend on node configuration no
 * registry shows (NODE_DEPENDENT): there the tool must name the setting (and warn, unless the image is
 * for another platform and cannot start anyway), and our oracle nodes, which lack it, must fail the pull.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { ImageReport, ImageVerdict } from "../../src/core/report.js";
import { makeTarget } from "../../src/core/target.js";
import { RegistryClient } from "../../src/registry/index.js";
import { capabilitiesFor } from "../../src/rules/data/runtime-capabilities.js";
import { expectedPull, judgeImage } from "../../src/rules/image/index.js";
import type { PushedImage } from "./harness/crafted.js";
import { CriClient } from "./harness/cri.js";
import { CtrRecipeRunner } from "./harness/ctr-recipe.js";
import { ORACLES, type OracleSpec, PROVEN_ROWS } from "./harness/oracle-list.js";
import { ctrUnpacked, dockerPull, type OraclePull, skopeoPull } from "./harness/oracles.js";
import { podmanPull } from "./harness/podman.js";

const env = inject("testenv");
const crafted = inject("crafted");

const minor = (v: string) => /^(\d+\.\d+)/.exec(v)?.[1] ?? v;

/**
 * Outcomes that depend on what is installed on the node, not on the image: the tool must answer
 * `warning` from the named rule, naming the setting; the oracle nodes have no decryption keys and
 * no imgcrypt stream processor, so their pulls must fail.
 * containerd: https://github.com/containerd/containerd/blob/v1.7.24/docs/cri/decryption.md
 * CRI-O: decryption_keys_path, https://github.com/cri-o/cri-o/blob/v1.36.3/docs/crio.conf.5.md
 */
const NODE_DEPENDENT: Record<
  string,
  { rule: string; setting: RegExp; why: string; applies?: (row: string) => boolean }
> = {
  "encrypted-layer": {
    rule: "I004",
    setting: /decryption_keys_path|stream_processors|imgcrypt|decryption/,
    why: "the oracle node has no decryption keys",
    // Docker Engine has no decryption at all: a plain pull failure there (I004)
    applies: (row) => capsOf(row)?.encryptedLayers !== "unsupported",
  },
  // The layer URL refuses connections from here; whether a node reaches that host is its network setup.
  "nondistributable-dead-url": {
    rule: "I005",
    setting: /network access to those hosts/,
    why: "the oracle node cannot reach the layer URL",
    // containers/image < 5.30 drops the connection error and fetches from the registry (I005)
    applies: (row) =>
      !["urls-only-registry-on-connect-error", "registry-only"].includes(capsOf(row)?.foreignLayers ?? ""),
  },
};

function platformsFor(image: PushedImage, o: OracleSpec): string[] {
  if (o.platforms === "cri-amd64-ctr-arm64") return ["linux/amd64", "linux/arm64"];
  const out = ["linux/amd64"];
  if (o.platforms === "amd64-and-arm64" && image.offers.some((p) => p.startsWith("linux/arm64")))
    out.push("linux/arm64");
  return out;
}

function cell(report: ImageReport, runtime: string, platform: string): ImageVerdict {
  const v = report.verdicts.find((x) => x.runtime === runtime && x.platform === platform);
  if (!v)
    throw new Error(
      `no verdict for ${runtime} ${platform} in ${JSON.stringify(report.verdicts.map((x) => [x.runtime, x.platform]))}`,
    );
  return v;
}

function explain(v: ImageVerdict): string {
  const findings = v.findings
    .filter((f) => !f.suppressed)
    .map((f) => `${f.ruleId}[${f.evidence?.stage ?? "-"}] ${f.message}`)
    .join(" | ");
  return `${v.runtime} ${v.platform}: ${v.verdict}${v.reason ? ` (${v.reason})` : ""}${findings ? `: ${findings}` : ""}`;
}

/** Runs the oracle's pull of `image` for `platform` on a node that never had it. */
async function oraclePull(o: OracleSpec, image: PushedImage, platform: string): Promise<OraclePull> {
  if (o.kind === "podman") {
    const r = await podmanPull(env.dir, image.ref, platform);
    return { ok: r.ok, message: r.message };
  }
  if (o.kind === "docker") {
    const d = env.dockerOracles.find((x) => x.version === o.version);
    if (!d) throw new Error(`testenv has no Docker Engine ${o.version} oracle`);
    return dockerPull(d.sock, image.ref, platform);
  }
  if (o.kind === "skopeo") {
    const s = env.cimageOracles.find((c) => c.version === o.version);
    if (!s) throw new Error(`testenv has no containers/image ${o.version} oracle`);
    return skopeoPull(env, s, image.ref, platform);
  }
  if (platform !== "linux/amd64") return recipePull(o, image, platform);
  const c =
    o.version === minor(env.ctdVersion)
      ? { sock: env.ctdSock, ctr: "ctr" }
      : env.ctdOracles.find((x) => x.version === o.version);
  if (!c) throw new Error(`testenv has no containerd ${o.version} oracle`);
  const cri = new CriClient(c.sock);
  try {
    // start from a node that never had this image: RemoveImage also garbage-collects its snapshots
    await cri.removeImage(image.ref);
    const r = await cri.pullImage(image.ref);
    if (!r.ok) return { ok: false, message: `code ${r.code}: ${r.message}` };
    const unpacked = await ctrUnpacked(c.ctr, c.sock, image.ref);
    return { ok: true, unpacked, message: `ok ${r.imageRef}${unpacked ? "" : " (not unpacked)"}` };
  } finally {
    cri.close();
  }
}

/** containerd for a platform other than the host's: ctr, choosing as that node's CRI would. */
function recipePull(o: OracleSpec, image: PushedImage, platform: string): Promise<OraclePull> {
  const recipe = env.ctdRecipes.find((x) => x.version === o.version);
  if (!recipe) throw new Error(`testenv has no containerd ${o.version} daemon for ctr pulls`);
  return new CtrRecipeRunner(recipe).pull(image.ref, platform);
}

/** What the recipe must reproduce of a CRI pull: pulled or not, and unpacked or not. */
const outcome = (r: OraclePull) => ({ ok: r.ok, unpacked: r.ok ? (r.unpacked ?? true) : undefined });

function capsOf(row: string) {
  const t = makeTarget({ runtimes: row }).runtimes[0];
  return t ? capabilitiesFor(t) : undefined;
}

/** The row uses CRI-O's artifact fallback (a failed image pull retried as an OCI artifact). */
function artifactFallback(row: string): boolean {
  return capsOf(row)?.artifacts === "artifact-fallback";
}

/** The image offers `platform` (e.g. linux/arm64 matches an entry for linux/arm64/v8). */
function offers(image: PushedImage, platform: string): boolean {
  return image.offers.some((p) => p === platform || p.startsWith(`${platform}/`));
}

function assertAgrees(image: PushedImage, row: string, v: ImageVerdict, r: OraclePull, platform: string) {
  const ctx = `tool: ${explain(v)}\noracle: ${r.ok ? "ok" : "fails"} ${r.message}`;
  const predicted = expectedPull(v);
  expect(predicted, ctx).not.toBe("unknown");
  const dep = NODE_DEPENDENT[image.name];
  if (dep && (dep.applies?.(row) ?? true)) {
    const f = v.findings.find((x) => x.ruleId === dep.rule && !x.suppressed);
    expect(f?.message ?? "", ctx).toMatch(dep.setting);
    expect(r.ok, `${dep.why}, so its pull must fail\n${ctx}`).toBe(false);
    // an image for another platform cannot start whatever the node's setting: pulled with it, the
    // container still fails (exec format error)
    if (offers(image, platform)) expect(v.verdict, ctx).toBe("warning");
    else expect(v.verdict, `the image does not offer ${platform}\n${ctx}`).toBe("incompatible");
    return;
  }
  if (!r.ok) {
    if (artifactFallback(row)) expect(v.verdict, ctx).toBe("incompatible");
    else expect(predicted, ctx).toBe("fails");
    return;
  }
  expect(predicted, ctx).toBe("succeeds");
  if (r.unpacked === false) {
    expect(v.verdict, `pulled without a rootfs: no container can start\n${ctx}`).toBe("incompatible");
    return;
  }
  if (v.verdict === "incompatible") {
    // pulled, yet judged unable to start: only right when the image is for another platform or is an artifact
    // (artifacts offer no platform, so they pass here only when judged unable to start)
    expect(!offers(image, platform), `the pull succeeded and the image offers ${platform}\n${ctx}`).toBe(
      true,
    );
  }
}

test("every oracle of the list is running at the version it stands for", () => {
  expect(minor(env.ctdVersion)).toBe("1.6");
  expect(minor(env.podman.version)).toBe("4.3"); // podman 4.3.1 vendors containers/image 5.23.1
  const ctd = ["1.6", ...env.ctdOracles.map((o) => o.version)].sort();
  const cimage = ["5.23", ...env.cimageOracles.map((o) => o.version)].sort();
  expect(ctd).toEqual(
    ORACLES.filter((o) => o.kind === "cri-containerd")
      .map((o) => o.version)
      .sort(),
  );
  expect(cimage).toEqual(
    ORACLES.filter((o) => o.kind === "podman" || o.kind === "skopeo")
      .map((o) => o.version)
      .sort(),
  );
  // and one daemon per containerd version for the linux/arm64 pulls made with ctr
  expect(env.ctdRecipes.map((o) => o.version).sort()).toEqual(ctd);
  expect(env.dockerOracles.map((o) => o.version)).toEqual(
    ORACLES.filter((o) => o.kind === "docker").map((o) => o.version),
  );
});

const client = new RegistryClient({ insecureRegistries: [env.regAddr, crafted.stubRegistry] });
afterAll(() => client.close());

describe.each(crafted.images)("$name", (image) => {
  let report: ImageReport;

  beforeAll(async () => {
    const target = makeTarget({
      k8s: "1.33",
      runtimes: PROVEN_ROWS.join(","),
      platforms: "linux/amd64,linux/arm64",
    });
    // as the `image` command does: layer bytes and foreign-layer URLs checked
    const facts = await client.inspect(image.ref, target.platforms, { verifyLayers: true });
    report = judgeImage(facts, target);
  });

  for (const o of ORACLES) {
    for (const platform of platformsFor(image, o)) {
      test(`${o.key} ${platform}`, async () => {
        const r = await oraclePull(o, image, platform);
        if (o.platforms === "cri-amd64-ctr-arm64" && platform === "linux/amd64") {
          // the ctr steps that stand for an arm64 node's CRI, checked here against the real CRI
          const viaCtr = await recipePull(o, image, platform);
          expect(outcome(viaCtr), `CRI: ${r.message}\nctr: ${viaCtr.message}`).toEqual(outcome(r));
        }
        for (const row of o.proves) assertAgrees(image, row, cell(report, row, platform), r, platform);
      });
    }
  }
});
