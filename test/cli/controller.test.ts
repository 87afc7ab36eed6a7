/**
 * `controller` as users start it: its flags are listed, bad ones are refused with exit 2 and a
 * message naming the flag, and a build without the controller's cluster ports says so (exit 2)
 * instead of pretending to run. The running controller is tested in test/unit/controller.
 */
import { describe, expect, it } from "vitest";
import { run } from "./run.js";

describe("controller command", () => {
  it("lists controller-runtime's flags and scan's", async () => {
    const r = await run(["controller", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--metrics-bind-address",
      "--health-probe-bind-address",
      "--leader-elect",
      "--leader-elect-namespace",
      "--lease-name",
      "--kubeconfig",
      "--context",
      "--target-k8s",
      "--target-runtime",
      "--no-images",
      "--fail-on",
      "--report-api",
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it("refuses a bad bind address with exit 2", async () => {
    const r = await run(["controller", "--health-probe-bind-address", "localhost"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--health-probe-bind-address must be HOST:PORT");
  });

  it("refuses an unknown --report-api", async () => {
    const r = await run(["controller", "--report-api", "kyverno"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("auto, wgpolicyk8s, openreports");
  });

  it("stops with exit 2 and one line while this build has no cluster ports for it", async () => {
    const r = await run(["controller", "--metrics-bind-address", "0", "--health-probe-bind-address", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/controller: .*not wired/);
  });
});
