/**
 * Image reference parsing, normalised exactly as containerd's CRI does it (`reference.ParseDockerRef`
 * from github.com/distribution/reference, normalize.go / regexp.go / reference.go):
 *
 *   nginx                      -> docker.io/library/nginx:latest
 *   index.docker.io/x/y        -> docker.io/x/y:latest        (legacy Docker Hub name)
 *   host:5000/a/b              -> host:5000/a/b:latest
 *   localhost/x                -> localhost/x:latest          ("localhost" is always a registry host)
 *   name:tag@sha256:<hex>      -> docker.io/library/name@sha256:<hex>   (digest wins; tag kept in `tag`)
 *
 * The kubelet only appends ":latest" and leaves the host alone
 * (kubernetes/pkg/kubelet/images/image_manager.go applyDefaultImageTag); containerd adds docker.io/;
 * CRI-O resolves short names through registries.conf instead, hence `shortName`.
 *
 * Pure: no I/O, no npm imports.
 */
import type { ImageReference } from "./image.js";

export class InvalidReferenceError extends Error {
  override readonly name = "InvalidReferenceError";
  constructor(
    readonly reference: string,
    readonly reason: string,
  ) {
    super(`invalid image reference "${reference}": ${reason}`);
  }
}

/** The Docker Hub name containerd and CRI-O use in references (the API host is registry-1.docker.io). */
const DOCKER_HUB = "docker.io";
const LEGACY_DOCKER_HUB = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";
/** distribution/reference NameTotalLengthMax. */
const NAME_TOTAL_LENGTH_MAX = 255;

// Grammar from distribution/reference regexp.go (v0.6):
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   domain-name      := domain-component ('.' domain-component)*
//   host             := domain-name | IPv4 | '[' IPv6 ']'
//   domain           := host (':' port-number)?
//   path-component   := alpha-numeric (separator alpha-numeric)*   alpha-numeric := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ':' encoded
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-zA-Z=_-]+$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

/**
 * Digest algorithms a runtime can verify (go-digest registers sha256, sha384, sha512) and the length
 * of their lowercase hex encoding (https://github.com/opencontainers/go-digest/blob/master/algorithm.go).
 */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Checks "algo:hex" the way go-digest's Digest.Validate does; returns the reason or undefined. */
function digestProblem(digest: string): string | undefined {
  if (!DIGEST_RE.test(digest)) return `"${digest}" is not a digest (expected algorithm:hex)`;
  const [algorithm = "", hex = ""] = digest.split(":", 2);
  const len = DIGEST_HEX_LENGTH[algorithm];
  if (len === undefined) return `unsupported digest algorithm "${algorithm}" (sha256, sha384 or sha512)`;
  if (!/^[a-f0-9]*$/.test(hex)) return `digest "${digest}" must be lowercase hex`;
  if (hex.length !== len) return `${algorithm} digest must have ${len} hex characters, got ${hex.length}`;
  return undefined;
}

export function isValidDigest(digest: string): boolean {
  return digestProblem(digest) === undefined;
}

/** A reference cut into its parts as written, nothing validated or normalised. */
export interface ReferenceParts {
  /** The name before any tag or digest, e.g. "registry.example.com/team/app". */
  name: string;
  /** The registry host when the reference names one (see `splitReference`). */
  domain?: string;
  /** The repository path without the host, as written ("nginx", "team/app"). */
  remainder: string;
  tag?: string;
  digest?: string;
}

/**
 * The one place a reference is cut into parts, shared by the strict parser below and by rules that
 * must read references that are not valid (templated tags, upper-case names). The digest is
 * everything after the first "@"; the tag follows the last ":" after the last "/" (an earlier ":" is
 * a registry port). splitDockerDomain (normalize.go): the first path element is a registry host when
 * it contains "." or ":", is "localhost", or has uppercase letters (repository paths are lowercase).
 */
export function splitReference(text: string): ReferenceParts {
  let name = text;
  let digest: string | undefined;
  const at = name.indexOf("@");
  if (at !== -1) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = name.lastIndexOf(":");
  if (lastColon > name.lastIndexOf("/")) {
    tag = name.slice(lastColon + 1);
    name = name.slice(0, lastColon);
  }
  const parts: ReferenceParts = { name, remainder: name };
  const i = name.indexOf("/");
  const first = i === -1 ? "" : name.slice(0, i);
  if (i !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first)) {
    parts.domain = first;
    parts.remainder = name.slice(i + 1);
  }
  if (tag !== undefined) parts.tag = tag;
  if (digest !== undefined) parts.digest = digest;
  return parts;
}

export function parseReference(text: string): ImageReference {
  const original = text;
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(original, reason);
  };
  if (text.length === 0) fail("empty reference");
  if (text !== text.trim() || /\s/.test(text)) fail("contains whitespace");

  const parts = splitReference(text);
  const { digest, name } = parts;
  let tag = parts.tag;
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) fail(problem);
  }
  if (tag !== undefined && !TAG_RE.test(tag)) fail(`invalid tag "${tag}"`);
  if (name.length === 0) fail("missing repository name");

  // A bare 64-hex name would be mistaken for an image ID (normalize.go ParseNormalizedNamed).
  if (HEX64_RE.test(name)) fail("a 64-character hexadecimal string is an image ID, not a repository name");

  const written = parts.domain !== undefined;
  let domain = parts.domain ?? DOCKER_HUB;
  let remainder = parts.remainder;
  if (!DOMAIN_RE.test(domain)) fail(`invalid registry host "${domain}"`);
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes("/")) remainder = OFFICIAL_REPO_PREFIX + remainder;

  if (remainder.toLowerCase() !== remainder) fail(`repository name "${remainder}" must be lowercase`);
  for (const component of remainder.split("/")) {
    if (!PATH_COMPONENT_RE.test(component)) {
      fail(
        component === ""
          ? "empty path component in repository name"
          : `invalid repository path component "${component}" (lowercase letters, digits and . _ __ - separators)`,
      );
    }
  }
  const fullName = `${domain}/${remainder}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    fail(`repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }

  // ParseDockerRef: a digested reference drops its tag; otherwise TagNameOnly adds "latest".
  if (!digest && !tag) tag = "latest";
  const normalized = digest ? `${fullName}@${digest}` : `${fullName}:${tag}`;
  const ref: ImageReference = {
    original,
    registry: domain,
    repository: remainder,
    normalized,
    shortName: !written,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The reference string to fetch the manifest by: the digest when there is one, else the tag. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}
