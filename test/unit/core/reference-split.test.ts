/** One image-reference splitter: the strict parser and the rules' lenient view cut references alike. */
import { describe, expect, it } from "vitest";
import { parseReference, splitReference } from "../../../src/core/reference.js";
import { parseImage } from "../../../src/rules/workload/util.js";

describe("splitReference", () => {
  it.each([
    ["nginx", { name: "nginx", remainder: "nginx" }],
    [
      "localhost:5000/a/b:1@sha256:abc",
      {
        name: "localhost:5000/a/b",
        domain: "localhost:5000",
        remainder: "a/b",
        tag: "1",
        digest: "sha256:abc",
      },
    ],
    [
      "registry.example.com/team/app:$(TAG)",
      {
        name: "registry.example.com/team/app",
        domain: "registry.example.com",
        remainder: "team/app",
        tag: "$(TAG)",
      },
    ],
    ["MyRegistry/App", { name: "MyRegistry/App", domain: "MyRegistry", remainder: "App" }],
  ])("%s", (text, parts) => {
    expect(splitReference(text)).toEqual(parts);
  });

  it("the strict parser and the rules' view agree on valid references", () => {
    for (const text of ["nginx:1.27", "quay.io/prometheus/node-exporter:v1.8.2", "localhost/x", "team/app"]) {
      const strict = parseReference(text);
      const lenient = parseImage(text);
      expect(lenient.registry ?? "docker.io").toBe(strict.registry);
      // The strict parser adds Docker Hub's library/ prefix and the default tag; the split does not.
      expect(lenient.path.join("/")).toBe(strict.repository.replace(/^library\//, ""));
      expect(lenient.tag ?? "latest").toBe(strict.tag);
    }
  });

  it("a reference the strict parser refuses is invalid in the rules' view too (I003 reports it)", () => {
    // The kubelet refuses it (InvalidImageName) before any runtime sees it: it names no agent's image.
    expect(() => parseReference("Registry.example.com/Team/App:$(TAG)")).toThrow();
    expect(parseImage("Registry.example.com/Team/App:$(TAG)")).toEqual({
      path: [],
      imageId: false,
      invalid: true,
    });
  });
});
