import { describe, expect, it } from "vitest";
import { seccompFieldFor } from "../../../../src/rules/workload/W012.js";
import { brief, findings } from "./helpers.js";

const ANN = ["spec", "template", "metadata", "annotations"];

describe("W012 seccomp-docker-default", () => {
  it("is high when the target ignores the annotations and no field is set", () => {
    const f = findings("W012", "fire-annotation-only.yaml");
    expect(f.map(brief)).toEqual([
      { severity: "high", name: "payments-api", path: [...ANN, "seccomp.security.alpha.kubernetes.io/pod"] },
      {
        severity: "high",
        container: "api",
        name: "payments-api",
        path: [...ANN, "container.seccomp.security.alpha.kubernetes.io/api"],
      },
    ]);
    expect(f[0]?.message).toContain("docker/default");
    expect(f[0]?.remediation).toContain("RuntimeDefault");
    expect(f[1]?.remediation).toContain("localhostProfile: profiles/api.json");
  });

  it("is low before 1.25, when kubelets still honour the annotation", () => {
    expect(findings("W012", "fire-annotation-only.yaml", { k8s: "1.24" }).map((x) => x.severity)).toEqual([
      "low",
      "low",
    ]);
    expect(findings("W012", "fire-annotation-only.yaml", { k8s: "1.25" }).map((x) => x.severity)).toEqual([
      "high",
      "high",
    ]);
  });

  it("is low when the field is also set, info for unconfined, low for docker/default in a PSP", () => {
    expect(findings("W012", "fire-with-field.yaml").map(brief)).toEqual([
      {
        severity: "low",
        name: "hardened",
        path: ["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"],
      },
      {
        severity: "info",
        container: "debug",
        name: "hardened",
        path: ["metadata", "annotations", "container.seccomp.security.alpha.kubernetes.io/debug"],
      },
      {
        severity: "low",
        name: "restricted",
        path: ["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/allowedProfileNames"],
      },
    ]);
  });

  it("ignores the field form, AppArmor annotations and text mentions", () => {
    expect(findings("W012", "quiet-field-only.yaml")).toEqual([]);
  });

  it("maps annotation values to the field like the API server did", () => {
    expect(seccompFieldFor("docker/default")).toBe("seccompProfile: {type: RuntimeDefault}");
    expect(seccompFieldFor("runtime/default")).toBe("seccompProfile: {type: RuntimeDefault}");
    expect(seccompFieldFor("unconfined")).toBe("seccompProfile: {type: Unconfined}");
    expect(seccompFieldFor("localhost/")).toBeUndefined();
    expect(seccompFieldFor("docker/custom")).toBeUndefined();
  });
});

describe("W012 container annotations naming no container", () => {
  it("is low for a container name the template does not have, high for a real (init) container", () => {
    const f = findings("W012", "fire-unknown-container.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "low",
        name: "renamed",
        path: [
          "spec",
          "template",
          "metadata",
          "annotations",
          "container.seccomp.security.alpha.kubernetes.io/agent",
        ],
      },
      {
        severity: "high",
        container: "init-volume",
        name: "renamed",
        path: [
          "spec",
          "template",
          "metadata",
          "annotations",
          "container.seccomp.security.alpha.kubernetes.io/init-volume",
        ],
      },
    ]);
    expect(f[0]?.message).toContain('no container named "agent"');
    expect(f[0]?.remediation).toBe("Delete the annotation: it names no container of this pod template.");
  });
});
