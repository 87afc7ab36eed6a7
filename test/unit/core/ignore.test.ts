import { describe, expect, it } from "vitest";
import { normalizeRuleRef, parseIgnoreList } from "../../../src/core/policy.js";

describe("ignore lists", () => {
  it("spells rule ids upper-case and slugs lower-case, whatever the user typed", () => {
    expect([...parseIgnoreList("w009, W001 Docker-Socket-Mount,all")]).toEqual([
      "W009",
      "W001",
      "docker-socket-mount",
      "all",
    ]);
    expect(normalizeRuleRef(" i003 ")).toBe("I003");
  });
});
