import { describe, expect, it } from "vitest";
import { makeTarget } from "../../../../src/core/target.js";
import { expectedPull, judgeImage } from "../../../../src/rules/image/index.js";
import { dockerManifest, schema1, single } from "./fixtures.js";

const runtimes =
  "containerd@1.6,containerd@1.7,containerd@2.0,containerd@2.1,containerd@2.2,cri-o@1.26,cri-o@1.34,docker@25.0,docker@27.0,docker@28.2";
const target = makeTarget({ runtimes, platforms: "linux/amd64" });

function table(facts: ReturnType<typeof single>) {
  return Object.fromEntries(
    judgeImage(facts, target).verdicts.map((v) => [v.runtime, `${v.verdict}/${expectedPull(v)}`]),
  );
}

describe("I001 schema1-manifest", () => {
  it("signed schema 1: per-runtime verdicts", () => {
    expect(table(single(schema1(true)))).toEqual({
      "containerd@1.6": "warning/succeeds",
      "containerd@1.7": "warning/succeeds",
      "containerd@2.0": "incompatible/fails",
      "containerd@2.1": "incompatible/fails",
      "containerd@2.2": "incompatible/fails",
      "cri-o@1.26": "compatible/succeeds",
      "cri-o@1.34": "compatible/succeeds",
      "cri-dockerd@25.0": "warning/succeeds",
      "cri-dockerd@27.0": "incompatible/fails",
      "cri-dockerd@28.2": "incompatible/fails",
    });
  });

  it("unsigned schema 1: never on containerd, fine on CRI-O", () => {
    const t = table(single(schema1(false)));
    expect(t["containerd@1.6"]).toBe("incompatible/fails");
    expect(t["containerd@1.7"]).toBe("incompatible/fails");
    expect(t["containerd@2.1"]).toBe("incompatible/fails");
    expect(t["cri-o@1.26"]).toBe("compatible/succeeds");
    expect(t["cri-o@1.34"]).toBe("compatible/succeeds");
  });

  it("messages name the version and the consequence", () => {
    const report = judgeImage(single(schema1(true)), target);
    const byRt = Object.fromEntries(
      report.verdicts.map((v) => [v.runtime, v.findings.find((f) => f.ruleId === "I001")]),
    );
    expect(byRt["containerd@2.0"]?.message).toMatch(/CONTAINERD_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1/);
    expect(byRt["containerd@2.1"]?.message).toMatch(/removed in containerd 2\.1/);
    expect(byRt["containerd@1.6"]?.message).toMatch(/still pulls/);
    expect(byRt["containerd@2.0"]?.severity).toBe("critical");
    expect(byRt["containerd@2.0"]?.slug).toBe("schema1-manifest");
    expect(byRt["containerd@2.0"]?.subject).toEqual({
      kind: "Image",
      name: "127.0.0.1:5000/test/image:latest",
      image: "127.0.0.1:5000/test/image:latest",
    });
    expect(byRt["containerd@2.0"]?.docs).toMatch(/docs\/rules\/I001\.md$/);
    expect(byRt["cri-o@1.34"]).toBeUndefined();
  });

  it("text/plain serving a schema 1 body counts as signed on containerd", () => {
    const m = schema1(false);
    m.contentType = "text/plain";
    const t = table(single(m));
    expect(t["containerd@1.7"]).toBe("warning/succeeds");
    expect(t["containerd@2.1"]).toBe("incompatible/fails");
  });

  it("does not fire on schema 2", () => {
    const report = judgeImage(single(dockerManifest()), target);
    expect(report.verdicts.flatMap((v) => v.findings.filter((f) => f.ruleId === "I001"))).toEqual([]);
  });
});
