import { describe, expect, it } from "vitest";
import { auditObject } from "../../../../src/core/rule.js";
import { makeTarget } from "../../../../src/core/target.js";
import { toK8sObject } from "../../../../src/core/workload.js";
import { classifyHostPath } from "../../../../src/rules/workload/hostpaths.js";
import { workloadRules } from "../../../../src/rules/workload/index.js";
import { canonicalHostPath } from "../../../../src/rules/workload/util.js";
import { auditFixture, TPL } from "./helpers.js";

/** What the one host-path matcher says about a path as written in a manifest. */
function what(p: string): string {
  const c = classifyHostPath(canonicalHostPath(p));
  if (!c) return "-";
  switch (c.kind) {
    case "socket":
      return `socket:${c.socket}`;
    case "docker-logs":
    case "docker-data":
      return `${c.kind}:${c.row.prefix}`;
    case "socket-parent":
      return `parent:${c.row.path}`;
    case "kubelet-logs":
      return `kubelet-logs:${c.dir}`;
  }
}

describe("host-path matcher (one table-driven matcher for every hostPath/subPath rule)", () => {
  it.each([
    // Linux sockets, every spelling folds to one row.
    ["/var/run/docker.sock", "socket:docker"],
    ["/run//docker.sock/", "socket:docker"],
    ["/var/run/../run/./docker.sock", "socket:docker"],
    ["/run/user/1000/docker.sock", "socket:docker"],
    ["/var/run/cri-dockerd.sock", "socket:cri-dockerd"],
    ["/var/run/dockershim.sock", "socket:dockershim"],
    ["/run/k3s/containerd/containerd.sock", "socket:containerd"],
    ["/var/run/crio/crio.sock", "socket:crio"],
    // Windows named pipes, any slash direction and case.
    ["\\\\.\\pipe\\docker_engine", "socket:docker"],
    ["//./pipe/docker_engine", "socket:docker"],
    ["\\\\.\\pipe\\Docker_Engine", "socket:docker"],
    ["npipe:////./pipe/docker_engine", "socket:docker"],
    ["\\\\.\\pipe\\containerd-containerd", "socket:containerd"],
    ["npipe://./pipe/containerd-containerd", "socket:containerd"],
    ["\\\\.\\pipe\\dockershim", "socket:dockershim"],
    ["\\\\.\\pipe\\csi-proxy-filesystem-v1", "-"],
    // Docker directories, Linux and Windows; logs win over the data root that contains them.
    ["/var/lib/docker", "docker-data:/var/lib/docker"],
    ["/var/lib/docker/overlay2", "docker-data:/var/lib/docker"],
    ["/var/lib/docker/containers", "docker-logs:/var/lib/docker/containers"],
    ["/etc/docker/", "docker-data:/etc/docker"],
    ["C:\\ProgramData\\docker", "docker-data:c:/programdata/docker"],
    ["c:/programdata/Docker/", "docker-data:c:/programdata/docker"],
    ["C:\\ProgramData\\docker\\containers", "docker-logs:c:/programdata/docker/containers"],
    ["C:\\ProgramData\\dockerish", "-"],
    ["/var/lib/dockerish", "-"],
    // Directories holding sockets match exactly; kubelet log directories and below.
    ["/var/run", "parent:/run"],
    ["/", "parent:/"],
    ["/run/containerd", "parent:/run/containerd"],
    ["/run/containerd/io.containerd.runtime.v2.task", "-"],
    ["/var/log/pods", "kubelet-logs:/var/log/pods"],
    ["/var/log/containers/", "kubelet-logs:/var/log/containers"],
    ["/var/log", "-"],
  ])("%s -> %s", (p, want) => {
    expect(what(p)).toBe(want);
  });

  it("finds Windows pipes and Docker directories in hostPath volumes, not their look-alikes", () => {
    const f = auditFixture("W001", "fire-windows-pipes.yaml").filter((x) => !x.suppressed);
    expect(f.map((x) => [x.ruleId, x.severity, x.subject.container, x.path, x.subject.name])).toEqual([
      ["W001", "critical", "agent", [...TPL, "volumes", 0, "hostPath", "path"], "win-docker-pipe"],
      ["W001", "critical", "agent", [...TPL, "volumes", 1, "hostPath", "path"], "win-docker-pipe"],
      ["W005", "high", "agent", [...TPL, "volumes", 4, "hostPath", "path"], "win-docker-pipe"],
      ["W006", "medium", "agent", [...TPL, "volumes", 2, "hostPath", "path"], "win-docker-pipe"],
      ["W007", "high", "agent", [...TPL, "volumes", 3, "hostPath", "path"], "win-docker-pipe"],
      ["W009", "high", "agent", [...TPL, "containers", 0, "env", 0, "value"], "win-docker-pipe"],
    ]);
    const w001 = f.filter((x) => x.ruleId === "W001");
    expect(w001.map((x) => x.evidence?.normalized)).toEqual([
      "\\\\.\\pipe\\docker_engine",
      "\\\\.\\pipe\\docker_engine",
    ]);
    expect(w001[1]?.message).toContain("(normalised: \\\\.\\pipe\\docker_engine)");
    expect(f.find((x) => x.ruleId === "W009")?.message).toContain(
      "it points at \\\\.\\pipe\\docker_engine, a named pipe on the node (hostPath volume",
    );
  });
});

describe("messages that list containers", () => {
  it("name the first five and count the rest, however many containers mount the socket", () => {
    const containers = Array.from({ length: 300 }, (_, i) => ({
      name: `c${i}`,
      image: "example.com/x:1",
      volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
    }));
    const obj = toK8sObject(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "wide" },
        spec: { containers, volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }] },
      },
      { file: "inline" },
    );
    const f = auditObject(obj, workloadRules, { target: makeTarget({}) }, { ignore: new Set() }).findings;
    const w001 = f.find((x) => x.ruleId === "W001");
    expect(w001?.message).toContain(
      'mounted by containers "c0", "c1", "c2", "c3", "c4", and 295 more. The target runtimes',
    );
    expect(w001?.message.length).toBeLessThan(400);
  });
});

describe("messages that list commands", () => {
  it("W008 names five docker commands of one script and counts the rest", () => {
    const script = Array.from({ length: 40 }, (_, i) => `docker rm -f job-${i}`).join("\n");
    const obj = toK8sObject(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "cleanup" },
        spec: { containers: [{ name: "c", image: "example.com/x:1", command: ["sh", "-c", script] }] },
      },
      { file: "inline" },
    );
    const f = auditObject(obj, workloadRules, { target: makeTarget({}) }, { ignore: new Set() }).findings;
    const w008 = f.find((x) => x.ruleId === "W008");
    expect(w008?.message).toContain('"docker rm -f job-4", and 35 more. Check where it connects');
  });
});
