import { describe, expect, it } from "vitest";
import { InvalidReferenceError, parseReference, referenceTarget } from "../../../src/core/reference.js";

const D256 = `sha256:${"a".repeat(64)}`;
const D512 = `sha512:${"b".repeat(128)}`;

// [input, registry, repository, tag, digest, normalized, shortName]
const valid: [string, string, string, string | undefined, string | undefined, string, boolean][] = [
  ["nginx", "docker.io", "library/nginx", "latest", undefined, "docker.io/library/nginx:latest", true],
  ["nginx:1.27", "docker.io", "library/nginx", "1.27", undefined, "docker.io/library/nginx:1.27", true],
  [
    "library/nginx",
    "docker.io",
    "library/nginx",
    "latest",
    undefined,
    "docker.io/library/nginx:latest",
    true,
  ],
  ["bitnami/redis:7", "docker.io", "bitnami/redis", "7", undefined, "docker.io/bitnami/redis:7", true],
  [
    "docker.io/nginx",
    "docker.io",
    "library/nginx",
    "latest",
    undefined,
    "docker.io/library/nginx:latest",
    false,
  ],
  [
    "index.docker.io/nginx",
    "docker.io",
    "library/nginx",
    "latest",
    undefined,
    "docker.io/library/nginx:latest",
    false,
  ],
  ["index.docker.io/foo/bar:v1", "docker.io", "foo/bar", "v1", undefined, "docker.io/foo/bar:v1", false],
  [
    "registry.k8s.io/pause:3.9",
    "registry.k8s.io",
    "pause",
    "3.9",
    undefined,
    "registry.k8s.io/pause:3.9",
    false,
  ],
  ["quay.io/a/b/c:x", "quay.io", "a/b/c", "x", undefined, "quay.io/a/b/c:x", false],
  ["host:5000/a/b", "host:5000", "a/b", "latest", undefined, "host:5000/a/b:latest", false],
  ["127.0.0.1:5055/t/img:v2", "127.0.0.1:5055", "t/img", "v2", undefined, "127.0.0.1:5055/t/img:v2", false],
  ["localhost/x", "localhost", "x", "latest", undefined, "localhost/x:latest", false],
  ["localhost:5000/x:1", "localhost:5000", "x", "1", undefined, "localhost:5000/x:1", false],
  ["[::1]:5000/x", "[::1]:5000", "x", "latest", undefined, "[::1]:5000/x:latest", false],
  // A port-looking suffix with no slash is a tag on a Docker Hub short name.
  ["foo:5000", "docker.io", "library/foo", "5000", undefined, "docker.io/library/foo:5000", true],
  // Dots in a single component are a repository name, not a host.
  ["foo.bar", "docker.io", "library/foo.bar", "latest", undefined, "docker.io/library/foo.bar:latest", true],
  // The first element with uppercase is a host (splitDockerDomain).
  ["Example/foo", "Example", "foo", "latest", undefined, "Example/foo:latest", false],
  [`nginx@${D256}`, "docker.io", "library/nginx", undefined, D256, `docker.io/library/nginx@${D256}`, true],
  [`nginx:1.2@${D256}`, "docker.io", "library/nginx", "1.2", D256, `docker.io/library/nginx@${D256}`, true],
  [`ghcr.io/o/r:t@${D512}`, "ghcr.io", "o/r", "t", D512, `ghcr.io/o/r@${D512}`, false],
  [
    "a/b__c/d-e/f.g_h:T_1.x-y",
    "docker.io",
    "a/b__c/d-e/f.g_h",
    "T_1.x-y",
    undefined,
    "docker.io/a/b__c/d-e/f.g_h:T_1.x-y",
    true,
  ],
  ["a---b", "docker.io", "library/a---b", "latest", undefined, "docker.io/library/a---b:latest", true],
];

describe("parseReference (containerd ParseDockerRef normalisation)", () => {
  it.each(valid)("%s", (input, registry, repository, tag, digest, normalized, shortName) => {
    const r = parseReference(input);
    expect(r).toEqual({
      original: input,
      registry,
      repository,
      normalized,
      shortName,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    });
  });

  const invalid: [string, RegExp][] = [
    ["", /empty/],
    ["Nginx", /must be lowercase/],
    ["docker.io/Library/nginx", /must be lowercase/],
    ["quay.io/a/B", /must be lowercase/],
    ["nginx:", /invalid tag/],
    [`nginx:${"t".repeat(129)}`, /invalid tag/],
    ["nginx@sha256:abc", /64 hex/],
    [`nginx@sha256:${"A".repeat(64)}`, /lowercase hex/],
    [`nginx@sha512:${"a".repeat(64)}`, /128 hex/],
    [`nginx@md5:${"a".repeat(32)}`, /unsupported digest algorithm/],
    ["nginx@latest", /not a digest/],
    ["a//b", /empty path component/],
    ["host:5000/", /empty path component/],
    ["a/b_", /invalid repository path component/],
    ["-a/b", /invalid registry host|invalid repository path/],
    [" nginx", /whitespace/],
    ["ngi nx", /whitespace/],
    ["a".repeat(64), /image ID/],
    [`quay.io/${"a".repeat(250)}`, /longer than 255/],
    [":tag", /missing repository/],
    ["bad_host.io:port/x", /invalid registry host/],
  ];
  it.each(invalid)("rejects %j", (input, message) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidReferenceError);
    const err = caught as InvalidReferenceError;
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`"${input}"`);
    expect(err.message).not.toContain("\n");
  });

  it("fetch target is the digest when present, else the tag", () => {
    expect(referenceTarget(parseReference(`x:1@${D256}`))).toBe(D256);
    expect(referenceTarget(parseReference("x:1"))).toBe("1");
    expect(referenceTarget(parseReference("x"))).toBe("latest");
  });
});
