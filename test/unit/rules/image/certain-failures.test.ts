/**
 * Registry errors that are certain pull failures, not `unknown`: an unparseable reference (I003, the
 * kubelet's InvalidImageName) and a manifest over the read cap (I009: over containerd's 4,393,216 bytes
 * at the top level, so over CRI-O's 4 MiB too; a child over the cap only fails CRI-O).
 */
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../src/core/image.js";
import { MediaTypes as MT } from "../../../../src/core/image.js";
import type { ImageVerdict } from "../../../../src/core/report.js";
import { makeTarget } from "../../../../src/core/target.js";
import { RegistryClient } from "../../../../src/registry/index.js";
import { CONTAINERD_MAX_MANIFEST } from "../../../../src/rules/data/runtime-capabilities.js";
import { expectedPull, judgeImage } from "../../../../src/rules/image/index.js";
import { index, LINUX_AMD64, ociManifest, ref, withChildren } from "./fixtures.js";

const RUNTIMES = "containerd@1.6,containerd@2.1,cri-o@1.26,cri-o@1.34";

function verdicts(facts: ImageFacts, runtimes = RUNTIMES): Record<string, ImageVerdict> {
  const report = judgeImage(facts, makeTarget({ runtimes, platforms: "linux/amd64" }));
  return Object.fromEntries(report.verdicts.map((v) => [v.runtime, v]));
}

describe("I003: an invalid image reference fails on every runtime", () => {
  it.each([["Bad::Ref"], ["docker.io/Library/Nginx:1.27"], ["nginx:bad tag"]])(
    "%s is incompatible everywhere (InvalidImageName), not unknown",
    async (reference) => {
      // The facts the client really produces: the parse fails before any request.
      const client = new RegistryClient();
      const facts = await client.inspect(reference, [LINUX_AMD64]);
      await client.close();
      expect(facts.error?.kind).toBe("reference");
      expect(client.stats().requests).toBe(0);
      const v = verdicts(facts);
      expect(Object.keys(v)).toHaveLength(4);
      for (const [rt, cell] of Object.entries(v)) {
        expect(cell.verdict, rt).toBe("incompatible");
        expect(expectedPull(cell), rt).toBe("fails");
        const f = cell.findings.find((x) => x.ruleId === "I003");
        expect(f?.message, rt).toMatch(/not a valid image reference.*InvalidImageName/);
        expect(f?.message, rt).toContain(reference);
        expect(f?.evidence?.kind, rt).toBe("reference");
      }
    },
  );

  it("other registry errors stay unknown (auth)", () => {
    const facts: ImageFacts = {
      reference: ref(),
      children: {},
      childErrors: {},
      error: { kind: "auth", message: "401 unauthorized", status: 401 },
    };
    for (const cell of Object.values(verdicts(facts))) {
      expect(cell.verdict).toBe("unknown");
      expect(cell.findings).toEqual([]);
    }
  });
});

describe("I009: a top-level manifest over the read cap", () => {
  const tooLarge = (size: number | undefined): ImageFacts => ({
    reference: ref(),
    children: {},
    childErrors: {},
    error: {
      kind: "too-large",
      message: "manifest is over the 4393216-byte limit of containerd (CRI-O: 4194304)",
      status: 200,
      ...(size !== undefined ? { size } : {}),
    },
  });

  it.each([[5 * 1024 * 1024], [CONTAINERD_MAX_MANIFEST + 1], [undefined]])(
    "size %s: incompatible on containerd and CRI-O",
    (size) => {
      for (const [rt, cell] of Object.entries(verdicts(tooLarge(size)))) {
        expect(cell.verdict, rt).toBe("incompatible");
        expect(expectedPull(cell), rt).toBe("fails");
        const f = cell.findings.find((x) => x.ruleId === "I009");
        expect(f, rt).toBeDefined();
        if (size !== undefined) {
          expect(f?.evidence?.size, rt).toBe(String(size));
          expect(f?.message, rt).toContain(`${size} bytes`);
        }
      }
      const v = verdicts(tooLarge(size));
      expect(v["containerd@2.1"]?.findings[0]?.message).toMatch(/rejecting .* byte manifest/);
      expect(v["cri-o@1.34"]?.findings[0]?.message).toMatch(/exceeded maximum allowed size of 4194304/);
    },
  );

  it("a child over the cap: CRI-O incompatible; containerd (no cap on children) stays unknown", () => {
    const root = index(MT.ociIndex, [{ platform: LINUX_AMD64 }]);
    const facts = withChildren(root, []);
    const child = root.manifests?.[0]?.digest ?? "";
    facts.childErrors[child] = {
      kind: "too-large",
      message: "manifest is 6291456 bytes",
      digest: child,
      size: 6 * 1024 * 1024,
    };
    const v = verdicts(facts);
    for (const rt of ["cri-o@1.26", "cri-o@1.34"]) {
      expect(v[rt]?.verdict, rt).toBe("incompatible");
      expect(v[rt]?.findings.find((f) => f.ruleId === "I009")?.evidence?.size).toBe(String(6 * 1024 * 1024));
    }
    for (const rt of ["containerd@1.6", "containerd@2.1"]) {
      expect(v[rt]?.verdict, rt).toBe("unknown");
      expect(
        v[rt]?.findings.some((f) => f.ruleId === "I009"),
        rt,
      ).toBe(false);
    }
  });

  it("a child error that is not too-large does not fire I009", () => {
    const root = index(MT.ociIndex, [{ platform: LINUX_AMD64 }]);
    const facts = withChildren(root, []);
    const child = root.manifests?.[0]?.digest ?? "";
    facts.childErrors[child] = { kind: "server", message: "500", digest: child };
    for (const cell of Object.values(verdicts(facts))) {
      expect(cell.verdict).toBe("unknown");
      expect(cell.findings.some((f) => f.ruleId === "I009")).toBe(false);
    }
  });

  it("a healthy child under both caps is compatible everywhere (control)", () => {
    const facts = withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64 }]), [ociManifest()]);
    for (const cell of Object.values(verdicts(facts))) expect(cell.verdict).toBe("compatible");
  });
});
