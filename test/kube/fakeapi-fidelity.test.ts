// The fake API server checked against the real kubectl 1.35: if kubectl reads it as it reads a real
// API server (discovery, chunked lists, Tables, Status errors), the cluster tests mean something.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeTestPki } from "../fakeapi/certs.js";
import { FakeApiServer } from "../fakeapi/server.js";
import { Kubectl } from "./kubectl.js";

const SMALL = join(import.meta.dirname, "../fixtures/cluster/small.yaml");
let server: FakeApiServer;
let kubectl: Kubectl;

beforeAll(async () => {
  server = await FakeApiServer.start({ fixtures: [SMALL] });
  kubectl = new Kubectl(inject("kubectl"), server);
});
afterAll(async () => {
  await server.close();
  kubectl.cleanup();
});

describe("kubectl 1.35 against the fake API server", () => {
  it("get pods -A --chunk-size=2 pages with limit/continue and shows every pod", async () => {
    server.log.length = 0;
    const r = await kubectl.run(["get", "pods", "-A", "--chunk-size=2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ["default", "web-1", "1/1", "Running"],
      ["default", "web-2", "1/1", "Running"],
      ["team-a", "cache-0", "0/1", "Running"],
      ["team-a", "db-0", "0/1", "Pending"],
      ["team-a", "job-x", "0/1", "Succeeded"],
    ]);
    // Discovery first (aggregated, as kubectl asks for it), then three chunks.
    const disc = server.log.filter((e) => e.path === "/api" || e.path === "/apis");
    expect(disc.length).toBe(2);
    expect(disc.every((e) => e.accept.startsWith("application/json;g=apidiscovery.k8s.io;v=v2"))).toBe(true);
    const lists = server.log.filter((e) => e.path === "/api/v1/pods");
    expect(lists.map((e) => e.query.limit)).toEqual(["2", "2", "2"]);
    expect(lists[0]?.query.continue).toBeUndefined();
    expect(lists.slice(1).every((e) => e.query.continue)).toBe(true);
    expect(lists.every((e) => e.accept.startsWith("application/json;as=Table;v=v1;g=meta.k8s.io"))).toBe(
      true,
    );
  });

  it("get nodes -o wide prints the wide Table columns", async () => {
    const r = await kubectl.run(["get", "nodes", "-o", "wide"]);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.stdout.trimEnd().split("\n");
    expect(head?.split(/\s{2,}/)).toEqual([
      "NAME",
      "STATUS",
      "ROLES",
      "AGE",
      "VERSION",
      "INTERNAL-IP",
      "EXTERNAL-IP",
      "OS-IMAGE",
      "KERNEL-VERSION",
      "CONTAINER-RUNTIME",
    ]);
    expect(rows.map((l) => l.split(/\s{2,}/))).toEqual([
      [
        "node-1",
        "Ready",
        "control-plane",
        expect.any(String),
        "v1.30.4",
        "10.0.0.1",
        "<none>",
        "Ubuntu 22.04.4 LTS",
        "5.15.0-1",
        "containerd://1.7.20",
      ],
      [
        "node-2",
        "NotReady",
        "<none>",
        expect.any(String),
        "v1.23.17",
        "10.0.0.2",
        "<none>",
        "Amazon Linux 2",
        "5.10.0",
        "docker://20.10.24",
      ],
    ]);
  });

  it("prints a 403 exactly as for a real server", async () => {
    server.denials.push({ verb: "list", resource: "secrets", namespace: "team-a" });
    const r = await kubectl.run(["get", "secrets", "-n", "team-a"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "team-a"',
    );
    server.denials.push({ verb: "get", resource: "deployments", group: "apps" });
    const g = await kubectl.run(["get", "deployment", "web", "-n", "default"]);
    expect(g.stderr.trim()).toBe(
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "system:anonymous" cannot get resource "deployments" in API group "apps" in the namespace "default"',
    );
  });

  it("prints 404s as kubectl does for real objects", async () => {
    const r = await kubectl.run(["get", "pod", "nope", "-n", "default"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): pods "nope" not found');
  });

  it("filters with label and field selectors server-side", async () => {
    const l = await kubectl.run(["get", "pods", "-A", "-l", "app in (web,db),tier!=back", "-o", "name"]);
    expect(l.stdout.trim().split("\n")).toEqual(["pod/web-1", "pod/db-0"]);
    const f = await kubectl.run([
      "get",
      "pods",
      "-A",
      "--field-selector",
      "spec.nodeName=node-2",
      "-o",
      "name",
    ]);
    expect(f.stdout.trim().split("\n")).toEqual(["pod/web-2", "pod/cache-0"]);
    expect(server.log.at(-1)?.query.fieldSelector).toBe("spec.nodeName=node-2");
  });

  it("reads full objects with -o json (list items without kind, as on the wire)", async () => {
    const r = await kubectl.run(["get", "nodes", "node-2", "-o", "json"]);
    const node = JSON.parse(r.stdout) as {
      kind: string;
      status: { nodeInfo: { containerRuntimeVersion: string } };
    };
    expect(node.kind).toBe("Node");
    expect(node.status.nodeInfo.containerRuntimeVersion).toBe("docker://20.10.24");
    const list = await kubectl.run(["get", "pods", "-n", "team-a", "-o", "json"]);
    const items = (JSON.parse(list.stdout) as { items: { kind: string; metadata: { name: string } }[] })
      .items;
    expect(items.map((i) => [i.kind, i.metadata.name])).toEqual([
      ["Pod", "cache-0"],
      ["Pod", "db-0"],
      ["Pod", "job-x"],
    ]);
  });

  it("serves CRDs found in the fixture through discovery", async () => {
    server.loadYaml(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workflows.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {plural: workflows, singular: workflow, kind: Workflow, shortNames: [wf]}
  versions: [{name: v1alpha1, served: true, storage: true}]
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: build-1, namespace: team-a}
spec: {entrypoint: main}
`);
    const r = await kubectl.run(["get", "wf", "-A"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^NAMESPACE\s+NAME\s+AGE\nteam-a\s+build-1\s+\S+\n$/);
  });

  it("follows a watch: initial list, then changes", async () => {
    const child = kubectl.run([
      "get",
      "pods",
      "-n",
      "default",
      "--watch",
      "-o",
      "name",
      "--request-timeout=3s",
    ]);
    // Add the pod once kubectl's watch is open, so it can only arrive as a watch event.
    while (!server.log.some((e) => e.verb === "watch" && e.path === "/api/v1/namespaces/default/pods"))
      await new Promise((r) => setTimeout(r, 20));
    server.add({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-3", namespace: "default" },
      spec: { containers: [] },
    });
    const r = await child;
    expect(r.stdout.trim().split("\n")).toEqual(["pod/web-1", "pod/web-2", "pod/web-3"]);
  });

  it("talks https with a client certificate, as to a kubeadm cluster", async () => {
    const pki = makeTestPki("kubernetes-admin", "kubeadm:cluster-admins");
    const tls = await FakeApiServer.start({
      fixtures: [SMALL],
      tls: { key: pki.server.key, cert: pki.server.cert, clientCa: pki.ca },
    });
    const k = new Kubectl(inject("kubectl"), tls);
    try {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(k.kubeconfig, tls.kubeconfig({ ca: pki.ca, clientCert: pki.client }));
      const r = await k.run(["get", "nodes", "-o", "name"]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("node/node-1\nnode/node-2\n");
      expect(new Set(tls.log.map((e) => e.user))).toEqual(new Set(["kubernetes-admin"]));
    } finally {
      k.cleanup();
      await tls.close();
    }
  });
});
