/** Minimal version handling for Kubernetes and runtime versions ("1.35", "v1.35.2", "2.1.0-rc.1", "1.6.20~ds1"). */

export interface Version {
  major: number;
  minor: number;
  /** Undefined when the user gave only major.minor. */
  patch?: number;
}

const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/** Parses the leading numeric part; distro suffixes such as "~ds1" or "-eks-1" are ignored. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  const v: Version = { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) };
  if (m[3] !== undefined) v.patch = Number(m[3]);
  return v;
}

/** Compares; a missing patch compares as 0. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || (a.patch ?? 0) - (b.patch ?? 0);
}

export function formatVersion(v: Version): string {
  return v.patch === undefined ? `${v.major}.${v.minor}` : `${v.major}.${v.minor}.${v.patch}`;
}

/** True when `v` is >= `min` comparing major.minor only. */
export function atLeastMinor(v: Version, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
