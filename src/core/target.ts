/**
 * The migration target: the Kubernetes version to upgrade to and the runtimes to judge against
 * (docs/ARCHITECTURE.md). Parsing of the CLI strings lives here so every front door agrees.
 */
import { formatVersion, parseVersion, type Version } from "./version.js";

export type RuntimeName = "containerd" | "cri-o" | "cri-dockerd";

export interface RuntimeTarget {
  name: RuntimeName;
  version: Version;
  /** Exactly as the user wrote it in --target-runtime (after alias folding), e.g. "containerd@1.6". */
  label: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Target {
  kubernetes: Version;
  runtimes: RuntimeTarget[];
  /** Platforms images must run on (files mode: --platform; cluster mode: node platforms). */
  platforms: Platform[];
}

/**
 * Defaults as of late 2026: Kubernetes 1.37 is the newest released minor (released 2026-08-26,
 * https://github.com/kubernetes/website/pull/55932); containerd 2.3 is the newest LTS
 * (https://github.com/containerd/containerd/blob/main/RELEASES.md); CRI-O follows the Kubernetes minor
 * (https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes).
 */
const DEFAULT_TARGET_K8S = "1.37";
const DEFAULT_TARGET_RUNTIMES = "containerd@2.3,cri-o@1.37";
const DEFAULT_PLATFORMS = "linux/amd64,linux/arm64";

const RUNTIME_ALIASES: Record<string, RuntimeName> = {
  containerd: "containerd",
  "cri-o": "cri-o",
  crio: "cri-o",
  "cri-dockerd": "cri-dockerd",
  docker: "cri-dockerd",
};

export class TargetError extends Error {}

function parseK8sVersion(text: string): Version {
  const v = parseVersion(text);
  if (v?.major !== 1 || !/^v?\d+\.\d+(\.\d+)?$/.test(text.trim())) {
    throw new TargetError(`invalid Kubernetes version "${text}": expected MAJOR.MINOR such as 1.35`);
  }
  return v;
}

/** Parses "containerd@2.1,cri-o@1.34" (versions required except for cri-dockerd, which defaults to 0.4). */
export function parseRuntimeTargets(text: string): RuntimeTarget[] {
  const out: RuntimeTarget[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (!item) continue;
    const [nameText = "", versionText] = item.split("@", 2);
    const name = RUNTIME_ALIASES[nameText.toLowerCase()];
    if (!name) {
      throw new TargetError(
        `unknown runtime "${nameText}" in --target-runtime: use containerd@X.Y, cri-o@X.Y or cri-dockerd`,
      );
    }
    const version =
      versionText === undefined && name === "cri-dockerd"
        ? { major: 0, minor: 4 }
        : versionText === undefined
          ? undefined
          : parseVersion(versionText);
    if (!version || (versionText !== undefined && !/^v?\d+(\.\d+){0,2}$/.test(versionText))) {
      throw new TargetError(
        `runtime "${item}" needs a version, e.g. ${name}@${name === "cri-o" ? "1.34" : "2.1"}`,
      );
    }
    const label = versionText === undefined ? `${name}@${formatVersion(version)}` : `${name}@${versionText}`;
    if (!out.some((r) => r.label === label)) out.push({ name, version, label });
  }
  if (out.length === 0) throw new TargetError("--target-runtime is empty");
  return out;
}

const ARCH_RE = /^[a-z0-9_]+$/;

/** Parses "linux/amd64,linux/arm64/v8". */
export function parsePlatforms(text: string): Platform[] {
  const out: Platform[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (!item) continue;
    const parts = item.split("/");
    const [os, architecture, variant] = parts;
    if (
      parts.length < 2 ||
      parts.length > 3 ||
      !os ||
      !architecture ||
      !ARCH_RE.test(os) ||
      !ARCH_RE.test(architecture)
    ) {
      throw new TargetError(`invalid platform "${item}": expected os/arch[/variant], e.g. linux/arm64`);
    }
    out.push(variant ? { os, architecture, variant } : { os, architecture });
  }
  if (out.length === 0) throw new TargetError("--platform is empty");
  return out;
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** A target as the user writes it (flags, config file): each part optional, defaults filled by makeTarget. */
export interface TargetText {
  k8s?: string;
  runtimes?: string;
  platforms?: string;
}

export function makeTarget(opts: TargetText): Target {
  return {
    kubernetes: parseK8sVersion(opts.k8s ?? DEFAULT_TARGET_K8S),
    runtimes: parseRuntimeTargets(opts.runtimes ?? DEFAULT_TARGET_RUNTIMES),
    platforms: parsePlatforms(opts.platforms ?? DEFAULT_PLATFORMS),
  };
}

/** True when at least one target runtime is not Docker Engine (so Docker-only dependencies break). */
export function leavesDocker(target: Target): boolean {
  return target.runtimes.some((r) => r.name !== "cri-dockerd");
}
