/**
 * The node fact tables are data with sources (DESIGN.md §2): every row names an https source, every date is a
 * real calendar date, version ranges are well-formed and do not overlap, and lookups agree with the rows.
 */
import { describe, expect, it } from "vitest";
import { DOCKERSHIM_REMOVED, parseAsOf } from "../../../../src/core/node.js";
import { compareVersions, parseVersion, type Version } from "../../../../src/core/version.js";
import {
  CONTAINERD_CRI_V1_MINIMUMS,
  CONTAINERD_K8S_MATRIX,
  CRI_SOCKETS,
  CRIO_NO_WINDOWS_SOURCES,
  containerdMatrixFor,
  KUBELET_CHANGES,
  RUNTIME_CONFIG_SUPPORT,
  socketRuntime,
} from "../../../../src/rules/data/k8s-runtime-support.js";
import {
  CONTAINERD_LIFECYCLE,
  DOCKER_ENGINE_LIFECYCLE,
  K8S_RELEASES,
  k8sMinorEol,
  type LifecycleRow,
  lifecycleRow,
} from "../../../../src/rules/data/runtime-eol.js";

const URL_RE = /^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\//;
const STRICT_VERSION = /^\d+\.\d+(\.\d+)?$/;

/** A real calendar day in YYYY-MM-DD (the same check as --as-of). */
function isRealDate(text: string): boolean {
  try {
    parseAsOf(text);
    return true;
  } catch {
    return false;
  }
}

function v(text: string): Version {
  const p = parseVersion(text);
  if (!p || !STRICT_VERSION.test(text)) throw new Error(`bad version literal ${text}`);
  return p;
}

function checkLifecycle(name: string, rows: readonly LifecycleRow[]) {
  describe(name, () => {
    it("has a source, a label and a date or an unmaintained flag on every row", () => {
      for (const r of rows) {
        expect(r.source, r.label).toMatch(URL_RE);
        expect(r.label.length).toBeGreaterThan(3);
        expect(r.eol !== undefined || r.unmaintained === true, r.label).toBe(true);
        for (const d of [r.eol, r.released])
          if (d !== undefined) expect(isRealDate(d), `${r.label}: ${d}`).toBe(true);
        if (r.eol && r.released) expect(Date.parse(r.eol)).toBeGreaterThan(Date.parse(r.released));
      }
    });
    it("has ordered ranges that neither overlap nor leave gaps", () => {
      for (const [i, r] of rows.entries()) {
        expect(compareVersions(v(r.from), v(r.until)), r.label).toBeLessThan(0);
        const next = rows[i + 1];
        if (next) expect(next.from, `${r.label} -> ${next.label}`).toBe(r.until);
      }
    });
    it("finds the row of each branch and nothing past the last one", () => {
      for (const r of rows) expect(lifecycleRow(rows, v(r.from))).toBe(r);
      const last = rows[rows.length - 1] as LifecycleRow;
      expect(lifecycleRow(rows, v(last.until))).toBeUndefined();
    });
  });
}

checkLifecycle("containerd lifecycle", CONTAINERD_LIFECYCLE);
checkLifecycle("Docker Engine lifecycle", DOCKER_ENGINE_LIFECYCLE);

describe("containerd lifecycle facts", () => {
  it("holds the dates the rules are documented with", () => {
    const at = (s: string) => lifecycleRow(CONTAINERD_LIFECYCLE, v(s))?.eol;
    expect(at("1.6.39")).toBe("2025-08-23");
    expect(at("1.7.28")).toBe("2026-10-01");
    expect(at("2.1.0")).toBe("2026-07-03");
    expect(at("2.2.0")).toBe("2026-11-06");
    expect(at("2.3.0")).toBe("2028-04-30");
  });
  it("marks Docker Engine 20.10 and 24.0 unmaintained and 29.x maintained", () => {
    expect(lifecycleRow(DOCKER_ENGINE_LIFECYCLE, v("20.10.7"))?.unmaintained).toBe(true);
    expect(lifecycleRow(DOCKER_ENGINE_LIFECYCLE, v("24.0.7"))?.unmaintained).toBe(true);
    expect(lifecycleRow(DOCKER_ENGINE_LIFECYCLE, v("29.1.0"))).toBeUndefined();
  });
});

describe("Kubernetes releases", () => {
  it("lists each minor once, in order, with sources and real dates", () => {
    for (const [i, r] of K8S_RELEASES.entries()) {
      expect(r.source).toMatch(URL_RE);
      for (const d of [r.eol, r.released])
        if (d !== undefined) expect(isRealDate(d), `${r.minor}: ${d}`).toBe(true);
      if (r.eol && r.released) expect(Date.parse(r.eol)).toBeGreaterThan(Date.parse(r.released));
      const next = K8S_RELEASES[i + 1];
      if (next) expect(compareVersions(v(next.minor), v(r.minor))).toBeGreaterThan(0);
    }
  });
  it("has end-of-life dates that grow with the minor", () => {
    const dated = K8S_RELEASES.filter((r) => r.eol).map((r) => Date.parse(r.eol as string));
    expect([...dated].sort((a, b) => a - b)).toEqual(dated);
  });
  it("derives 'ended before' only once a newer minor has ended", () => {
    expect(k8sMinorEol(v("1.32"), new Date("2026-12-03"))).toEqual({
      endedBefore: "2026-06-28",
      source: expect.stringMatching(URL_RE),
    });
    expect(k8sMinorEol(v("1.32"), new Date("2026-01-01"))).toBeUndefined();
    expect(k8sMinorEol(v("1.38"), new Date("2026-12-03"))).toBeUndefined();
  });
});

describe("containerd Kubernetes matrix", () => {
  it("has sources, ordered minors and well-formed minimums, newest branch first", () => {
    for (const [i, r] of CONTAINERD_K8S_MATRIX.entries()) {
      expect(r.source).toMatch(URL_RE);
      const mins = r.minimums.map(v);
      expect(mins.length).toBeGreaterThan(0);
      for (let j = 1; j < mins.length; j++) {
        expect(compareVersions(mins[j - 1] as Version, mins[j] as Version)).toBeGreaterThan(0);
      }
      const next = CONTAINERD_K8S_MATRIX[i + 1];
      if (next) expect(v(next.k8s).minor).toBe(v(r.k8s).minor + 1);
    }
    expect(CONTAINERD_CRI_V1_MINIMUMS.map(v).length).toBeGreaterThan(0);
  });
  it("uses the newest row for a target past the table and nothing before it", () => {
    expect(containerdMatrixFor(v("1.38"))).toMatchObject({ row: { k8s: "1.36" }, newestInstead: true });
    expect(containerdMatrixFor(v("1.32"))).toMatchObject({ row: { k8s: "1.32" }, newestInstead: false });
    expect(containerdMatrixFor(v("1.25"))).toBeUndefined();
  });
});

describe("kubelet changes and runtime support", () => {
  it("names a version and a source for every change", () => {
    for (const [key, c] of Object.entries(KUBELET_CHANGES)) {
      expect(c.source, key).toMatch(URL_RE);
      expect(v(c.k8s).major, key).toBe(1);
    }
  });
  it("agrees with core on the release that removed dockershim", () => {
    expect(v(KUBELET_CHANGES.dockershimRemoved.k8s)).toEqual(DOCKERSHIM_REMOVED);
  });
  it("names versions and a source for RuntimeConfig support", () => {
    for (const r of RUNTIME_CONFIG_SUPPORT) {
      expect(r.source).toMatch(URL_RE);
      expect(r.since.map(v).length).toBeGreaterThan(0);
    }
    for (const s of CRIO_NO_WINDOWS_SOURCES) expect(s).toMatch(URL_RE);
  });
  it("maps each socket name to one runtime", () => {
    const names = CRI_SOCKETS.flatMap((r) => r.names);
    expect(new Set(names).size).toBe(names.length);
    for (const r of CRI_SOCKETS) expect(r.source).toMatch(URL_RE);
  });
  it.each([
    ["/var/run/dockershim.sock", "dockershim"],
    ["unix:///var/run/dockershim.sock", "dockershim"],
    ["unix:///var/run/cri-dockerd.sock", "cri-dockerd"],
    ["unix:///run/containerd/containerd.sock", "containerd"],
    ["npipe:////./pipe/containerd-containerd", "containerd"],
    ["npipe:////./pipe/dockershim", "dockershim"],
    ["/var/run/crio/crio.sock", "cri-o"],
    ["unix:///var/run/docker.sock", "docker-engine"],
    ["unix:///run/other.sock", undefined],
    ["", undefined],
  ])("reads %j as %s", (endpoint, runtime) => {
    expect(socketRuntime(endpoint)).toBe(runtime);
  });
});
