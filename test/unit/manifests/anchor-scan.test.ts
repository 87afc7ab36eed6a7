// mayHaveAnchor is a faster form of one regex (YAML 1.2.2 §6.9.2: an anchor is "&" after a space, a
// flow indicator or the line start, followed by a name character); it must answer as the regex does.
import { describe, expect, it } from "vitest";
import { mayHaveAnchor } from "../../../src/manifests/parse.js";

const SPEC = /(?:^|[\s[{,])&[^\s,[\]{}&]/m;

describe("mayHaveAnchor", () => {
  it("agrees with the anchor regex on hand-picked cases", () => {
    const cases = [
      "a: &x 1\nb: *x",
      "&top\na: 1",
      "cmd: make && make install",
      "url: http://h/?a=1&b=2",
      "[&a 1, *a]",
      "{k: &a v}",
      "x: &",
      "x: & y",
      "x:\r&a 1",
      "x:\u2028&a 1",
      "&&",
      "",
      "no ampersand",
      ",&b",
      "a &[",
    ];
    for (const c of cases) expect(mayHaveAnchor(c), JSON.stringify(c)).toBe(SPEC.test(c));
  });

  it("agrees with the anchor regex on random texts over the characters that matter", () => {
    const alphabet = ["&", " ", "\n", "\t", "\r", "[", "]", "{", "}", ",", "a", "1", ":", "-", "*"];
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let n = 0; n < 5000; n++) {
      let t = "";
      const len = Math.floor(rand() * 12);
      for (let i = 0; i < len; i++) t += alphabet[Math.floor(rand() * alphabet.length)];
      expect(mayHaveAnchor(t), JSON.stringify(t)).toBe(SPEC.test(t));
    }
  });
});
