/** The one engine: runRules, makeFinding and the policy, for workload and image rules alike. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { decide, EMPTY_POLICY, globMatch, type Policy } from "../../../src/core/policy.js";
import { type RuleFailure, runRules } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, Hit, RuleMeta } from "../../../src/core/types.js";
import { I001 } from "../../../src/rules/image/I001.js";
import { judgeImage } from "../../../src/rules/image/index.js";
import { schema1, single } from "../rules/image/fixtures.js";

const meta = (id: string, slug: string): RuleMeta => ({
  id,
  slug,
  title: id,
  category: "node",
  description: "",
  remediation: "fix it",
  defaultSeverity: "high",
});

describe("runRules", () => {
  it("a rule that throws is a failure naming the rule and the subject, and the other rules still run", () => {
    const ok = { ...meta("N001", "good"), check: (): Hit[] => [{ severity: "high", message: "m" }] };
    const bad = {
      ...meta("N002", "bad"),
      check: (): Hit[] => {
        throw new Error("boom");
      },
    };
    const sink = { findings: [] as Finding[], failures: [] as RuleFailure[] };
    runRules(
      [bad, ok],
      (r) => r.check(),
      { subject: { kind: "Node", name: "n1" }, origin: { uid: "u" } },
      () => ({ off: false }),
      sink,
    );
    expect(sink.failures).toEqual([
      { ruleId: "N002", subject: { kind: "Node", name: "n1" }, origin: { uid: "u" }, message: "boom" },
    ]);
    // Never a finding: an info finding would let the gate pass.
    expect(sink.findings.map((f) => f.ruleId)).toEqual(["N001"]);
    expect(sink.findings[0]).toMatchObject({ subject: { kind: "Node", name: "n1" }, severity: "high" });
  });

  it("does not invoke an `off` rule and applies a configured severity", () => {
    const check = vi.fn((): Hit[] => [{ severity: "critical", message: "m" }]);
    const rules = [
      { ...meta("N001", "a"), check },
      { ...meta("N002", "b"), check },
    ];
    const sink = { findings: [] as Finding[], failures: [] as RuleFailure[] };
    const policy: Policy = {
      severity: new Map([
        ["N001", "off"],
        ["N002", "low"],
      ]),
      exemptions: [],
    };
    runRules(
      rules,
      (r) => r.check(),
      { subject: { kind: "Node", name: "n" }, origin: {} },
      (r) => decide(r, { kind: "Node", name: "n" }, [], new Set(), policy),
      sink,
    );
    expect(check).toHaveBeenCalledTimes(1);
    expect(sink.findings.map((f) => [f.ruleId, f.severity])).toEqual([["N002", "low"]]);
  });
});

describe("policy", () => {
  it("globs match whole names with * and ?", () => {
    expect(globMatch("ci-*", "ci-runners")).toBe(true);
    expect(globMatch("ci-*", "xci-runners")).toBe(false);
    expect(globMatch("web-?", "web-1")).toBe(true);
    expect(globMatch("a.b", "axb")).toBe(false);
  });

  it("precedence: off, then annotation, then config exemption (with reason), then --ignore", () => {
    const r = meta("W001", "docker-socket-mount");
    const s = { kind: "DaemonSet", namespace: "mon", name: "agent" };
    const policy: Policy = {
      severity: new Map(),
      exemptions: [{ namespaces: ["mon"], rules: ["W001"], reason: "vendor agent" }],
    };
    expect(decide(r, s, [new Set(["docker-socket-mount"])], new Set(["W001"]), policy)).toEqual({
      off: false,
      suppression: { by: "annotation", ref: "docker-socket-mount" },
    });
    expect(decide(r, s, [], new Set(["W001"]), policy)).toEqual({
      off: false,
      suppression: { by: "config", reason: "vendor agent" },
    });
    expect(decide(r, { ...s, namespace: "other" }, [], new Set(["W001"]), policy)).toEqual({
      off: false,
      suppression: { by: "flag" },
    });
    expect(decide(r, { ...s, namespace: undefined }, [], new Set(), EMPTY_POLICY)).toEqual({ off: false });
    // A cluster-scoped object matches namespace "" only, never "*"-less globs.
    expect(decide(r, { kind: "Node", name: "n" }, [], new Set(), policy)).toEqual({ off: false });
  });
});

describe("image rules through the same engine", () => {
  afterEach(() => vi.restoreAllMocks());
  const target = makeTarget({ runtimes: "containerd@2.0", platforms: "linux/amd64" });

  it("an image finding suppressed by annotation records suppressedBy (SARIF inSource)", () => {
    const v = judgeImage(single(schema1(true)), target, { annotationIgnore: new Set(["I001"]) }).verdicts[0];
    expect(v?.findings[0]).toMatchObject({ ruleId: "I001", suppressed: true, suppressedBy: "annotation" });
    expect(v?.verdict).not.toBe("incompatible");
  });

  it("--ignore is recorded as flag, an exemption with its reason as config", () => {
    const flag = judgeImage(single(schema1(true)), target, { ignore: new Set(["I001"]) }).verdicts[0];
    expect(flag?.findings[0]).toMatchObject({ suppressedBy: "flag" });
    const policy: Policy = {
      severity: new Map(),
      exemptions: [{ kinds: ["Image"], names: ["*"], reason: "legacy, retired in Q3" }],
    };
    const cfg = judgeImage(single(schema1(true)), target, { policy }).verdicts[0];
    expect(cfg?.findings[0]).toMatchObject({
      suppressedBy: "config",
      suppressionReason: "legacy, retired in Q3",
    });
  });

  it("an image rule that throws is a failure, not a finding that decides the verdict", () => {
    vi.spyOn(I001, "check").mockImplementation(() => {
      throw new Error("bad facts");
    });
    const failures: RuleFailure[] = [];
    const report = judgeImage(single(schema1(true)), target, { failures });
    expect(failures).toEqual([expect.objectContaining({ ruleId: "I001", message: "bad facts" })]);
    expect(failures[0]?.subject.kind).toBe("Image");
    expect(report.verdicts[0]?.findings.some((f) => f.message.includes("bad facts"))).toBe(false);
  });
});
