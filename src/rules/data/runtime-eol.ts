/**
 * Lifecycle facts for node runtimes, as data with a source URL per row (DESIGN.md §2): Kubernetes minors
 * (CRI-O's end of life follows them), containerd release branches, and Docker Engine branches. Dates are
 * ISO `YYYY-MM-DD`, the first day the branch is no longer supported; docs/rules/N006.md explains how rules
 * read them. Checked on 2026-12-03 (docs/rules/N006.md lists what could not be checked).
 */
import { compareVersions, parseVersion, type Version } from "../../core/version.js";

export interface LifecycleRow {
  /** Inclusive, "major.minor". */
  from: string;
  /** Exclusive, "major.minor"; undefined = open-ended (a single branch when `from` is one minor). */
  until: string;
  /** How messages name the branch: "containerd 1.7", "Docker Engine 24.0". */
  label: string;
  released?: string;
  /** First day without upstream support. Absent: no date published (see `unmaintained`). */
  eol?: string;
  /** Upstream lists the branch as unmaintained, with no date. */
  unmaintained?: boolean;
  /** Qualifies the date: "tentative", "month only: end of September 2026"... */
  note?: string;
  source: string;
}

const CTD_RELEASES = "https://github.com/containerd/containerd/blob/main/RELEASES.md";
/** The copy of RELEASES.md with the 1.0–1.5 end-of-life dates. */
const CTD_RELEASES_OLD =
  "https://github.com/containerd/containerd/blob/007244d86cabfec3641d2e216f4d13a8245029f8/RELEASES.md";

/** containerd release branches (containerd RELEASES.md, "Current State of containerd Releases"). */
export const CONTAINERD_LIFECYCLE: readonly LifecycleRow[] = [
  { from: "0.0", until: "1.0", label: "containerd 0.x", eol: "2017-12-05", source: CTD_RELEASES_OLD },
  { from: "1.0", until: "1.1", label: "containerd 1.0", eol: "2018-12-05", source: CTD_RELEASES_OLD },
  { from: "1.1", until: "1.2", label: "containerd 1.1", eol: "2019-10-23", source: CTD_RELEASES_OLD },
  { from: "1.2", until: "1.3", label: "containerd 1.2", eol: "2020-10-15", source: CTD_RELEASES_OLD },
  { from: "1.3", until: "1.4", label: "containerd 1.3", eol: "2021-03-04", source: CTD_RELEASES_OLD },
  { from: "1.4", until: "1.5", label: "containerd 1.4", eol: "2022-03-03", source: CTD_RELEASES_OLD },
  { from: "1.5", until: "1.6", label: "containerd 1.5", eol: "2023-02-28", source: CTD_RELEASES_OLD },
  {
    from: "1.6",
    until: "1.7",
    label: "containerd 1.6",
    released: "2022-02-15",
    eol: "2025-08-23",
    source: CTD_RELEASES,
  },
  {
    // RELEASES.md says "September 2026" (extended LTS); a maintainer confirmed "End of the month" on 2026-09-18.
    from: "1.7",
    until: "2.0",
    label: "containerd 1.7",
    released: "2023-03-10",
    eol: "2026-10-01",
    note: "end of September 2026",
    source: "https://github.com/kubernetes-sigs/cri-tools/pull/2185",
  },
  {
    from: "2.0",
    until: "2.1",
    label: "containerd 2.0",
    released: "2024-11-05",
    eol: "2027-04-01",
    note: "extended LTS, end of March 2027",
    source: CTD_RELEASES,
  },
  {
    from: "2.1",
    until: "2.2",
    label: "containerd 2.1",
    released: "2025-05-07",
    eol: "2026-07-03",
    source: "https://github.com/containerd/containerd/pull/13739",
  },
  {
    from: "2.2",
    until: "2.3",
    label: "containerd 2.2",
    released: "2025-11-05",
    eol: "2026-11-06",
    source: CTD_RELEASES,
  },
  {
    from: "2.3",
    until: "2.4",
    label: "containerd 2.3",
    released: "2026-04-30",
    eol: "2028-04-30",
    note: "LTS",
    source: CTD_RELEASES,
  },
  {
    from: "2.4",
    until: "2.5",
    label: "containerd 2.4",
    released: "2026-09-16",
    eol: "2027-04-26",
    note: "tentative",
    source: "https://github.com/containerd/containerd/pull/14169",
  },
];

const MOBY_BRANCHES = "https://github.com/moby/moby/blob/master/project/BRANCHES-AND-TAGS.md";

/**
 * Docker Engine branches (moby project/BRANCHES-AND-TAGS.md, read 2026-08-23). Docker Engine's version is
 * what the node shows behind dockershim and behind cri-dockerd. Versions before 23.0 were YY.MM (17.03 …
 * 20.10); parseVersion reads "20.10.7" as 20.10 and "19.03.1" as 19.3, both below 23.0.
 */
export const DOCKER_ENGINE_LIFECYCLE: readonly LifecycleRow[] = [
  {
    from: "0.0",
    until: "23.0",
    label: "Docker Engine older than 23.0",
    unmaintained: true,
    source: MOBY_BRANCHES,
  },
  { from: "23.0", until: "24.0", label: "Docker Engine 23.0", unmaintained: true, source: MOBY_BRANCHES },
  { from: "24.0", until: "25.0", label: "Docker Engine 24.0", unmaintained: true, source: MOBY_BRANCHES },
  {
    from: "25.0",
    until: "26.0",
    label: "Docker Engine 25.0",
    eol: "2026-12-04",
    note: "maintained for Amazon Linux 2023 and Mirantis MCR",
    source: MOBY_BRANCHES,
  },
  { from: "26.0", until: "26.1", label: "Docker Engine 26.0", unmaintained: true, source: MOBY_BRANCHES },
  { from: "26.1", until: "27.0", label: "Docker Engine 26.1", unmaintained: true, source: MOBY_BRANCHES },
  { from: "27.0", until: "28.0", label: "Docker Engine 27.x", unmaintained: true, source: MOBY_BRANCHES },
  { from: "28.0", until: "29.0", label: "Docker Engine 28.x", unmaintained: true, source: MOBY_BRANCHES },
  // 29.x is maintained until after 30.x ships: no row, so no finding.
];

export interface K8sRelease {
  /** "1.35" */
  minor: string;
  released?: string;
  /** End of life (the `endOfLifeDate` of kubernetes.io/releases). */
  eol?: string;
  source: string;
}

const K8S_SCHEDULE = "https://github.com/kubernetes/website/blob/main/data/releases/schedule.yaml";

/**
 * Kubernetes minors and their end of life. CRI-O 1.x ends with Kubernetes 1.x ("If a Kubernetes release goes
 * End of Life, then the corresponding CRI-O version can be considered in the same way",
 * https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes). 1.32's date is not in the copies
 * we read; `k8sMinorEol` treats a minor as ended once a newer one has (only the newest three are supported).
 */
export const K8S_RELEASES: readonly K8sRelease[] = [
  { minor: "1.24", released: "2022-05-03", eol: "2023-07-28", source: K8S_SCHEDULE },
  { minor: "1.25", released: "2022-08-23", eol: "2023-10-28", source: K8S_SCHEDULE },
  { minor: "1.26", released: "2022-12-09", eol: "2024-02-28", source: K8S_SCHEDULE },
  { minor: "1.27", released: "2023-04-11", eol: "2024-06-28", source: K8S_SCHEDULE },
  { minor: "1.28", released: "2023-08-15", eol: "2024-10-28", source: K8S_SCHEDULE },
  { minor: "1.29", released: "2023-12-13", eol: "2025-02-28", source: K8S_SCHEDULE },
  { minor: "1.30", released: "2024-04-17", eol: "2025-06-28", source: K8S_SCHEDULE },
  { minor: "1.31", released: "2024-08-13", eol: "2025-10-28", source: K8S_SCHEDULE },
  { minor: "1.32", source: K8S_SCHEDULE },
  { minor: "1.33", eol: "2026-06-28", source: "https://github.com/cri-o/packaging/issues/334" },
  { minor: "1.34", eol: "2026-10-27", source: "https://github.com/cri-o/packaging/issues/335" },
  {
    minor: "1.35",
    released: "2025-12-17",
    eol: "2027-02-28",
    source: "https://github.com/kubernetes/website/pull/55550",
  },
  {
    minor: "1.36",
    released: "2026-04-22",
    eol: "2027-06-28",
    source: "https://github.com/endoflife-date/endoflife.date/pull/10834",
  },
  {
    minor: "1.37",
    released: "2026-08-26",
    eol: "2027-10-28",
    source: "https://github.com/endoflife-date/endoflife.date/pull/10834",
  },
  // Due 2026-12-16 (kubernetes/sig-release releases/release-1.38); not released on 2026-12-03.
  {
    minor: "1.38",
    source: "https://github.com/kubernetes/sig-release/blob/master/releases/release-1.38/README.md",
  },
];

/** Where the rule "only the newest three minors are maintained" is written. */
export const K8S_SUPPORT_POLICY = "https://kubernetes.io/releases/version-skew-policy/#supported-versions";

function vOf(text: string): Version {
  // Table literals are validated by the unit tests; a bad literal is a bug, not user input.
  return parseVersion(text) ?? { major: 0, minor: 0 };
}

/** The row whose [from, until) range holds `v` (major.minor), if any. */
export function lifecycleRow(rows: readonly LifecycleRow[], v: Version): LifecycleRow | undefined {
  const mm = { major: v.major, minor: v.minor };
  return rows.find((r) => compareVersions(mm, vOf(r.from)) >= 0 && compareVersions(mm, vOf(r.until)) < 0);
}

export interface MinorEol {
  /** The date, or undefined when only "ended before <date>" is known (then `endedBefore` is set). */
  eol?: string;
  /** A newer minor's end-of-life date this minor ended no later than. */
  endedBefore?: string;
  source: string;
}

/**
 * End of life of Kubernetes (and so CRI-O) minor `1.x`. A minor without a date is ended once any newer minor
 * has ended, by the support policy; a minor older than the table ended before the table's first date.
 * Undefined when nothing is known (a future minor, or an unreleased one).
 */
export function k8sMinorEol(v: Version, asOf: Date): MinorEol | undefined {
  const mm = { major: v.major, minor: v.minor };
  const row = K8S_RELEASES.find((r) => compareVersions(vOf(r.minor), mm) === 0);
  if (row?.eol) return { eol: row.eol, source: row.source };
  const newer = K8S_RELEASES.filter(
    (r) => r.eol && compareVersions(vOf(r.minor), mm) > 0 && Date.parse(r.eol) <= asOf.getTime(),
  );
  const first = newer[0];
  if (first?.eol) return { endedBefore: first.eol, source: K8S_SUPPORT_POLICY };
  return undefined;
}
