// KubeWriter and KubeObjectSource (the controller's ports on src/kube) against the fake API
// server's writable mode: status codes become typed errors, and writes reach watchers.
import { afterEach, describe, expect, it } from "vitest";
import {
  ClusterClient,
  KubeError,
  KubeObjectSource,
  KubeWriter,
  servedReportApi,
} from "../../../src/kube/index.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CM = { apiVersion: "v1", kind: "ConfigMap" };
const LEASE = { apiVersion: "coordination.k8s.io/v1", kind: "Lease" };

async function setup(writable = true) {
  h = await harness({ writable });
  const client = ClusterClient.fromKubeConfig({ kubeconfig: h.kubeconfig, env: {} });
  const discovery = await client.discover();
  return { server: h.server, client, discovery, w: new KubeWriter(client, discovery) };
}

describe("KubeWriter", () => {
  it("creates, updates with the resourceVersion it read, merge-patches and deletes", async () => {
    const { w } = await setup();
    const made = await w.create({ ...CM, metadata: { name: "a", namespace: "team-a" }, data: { k: "1" } });
    const rv = (made.metadata as { resourceVersion: string }).resourceVersion;
    expect(rv).toMatch(/^\d+$/);
    const updated = await w.update({ ...made, data: { k: "2" } });
    expect(updated.data).toEqual({ k: "2" });
    const patched = await w.patch({ ...CM, namespace: "team-a", name: "a" }, { data: { j: "3", k: null } });
    expect(patched.data).toEqual({ j: "3" });
    await w.delete({ ...CM, namespace: "team-a", name: "a" });
    expect(await w.get({ ...CM, namespace: "team-a", name: "a" })).toBeUndefined();
    // Deleting what is gone is success.
    await w.delete({ ...CM, namespace: "team-a", name: "a" });
  });

  it("a stale resourceVersion and an existing name are 409 'conflict' KubeErrors", async () => {
    const { w } = await setup();
    const lease = await w.create({ ...LEASE, metadata: { name: "l", namespace: "default" }, spec: {} });
    await w.update({ ...lease, spec: { holderIdentity: "a" } });
    const stale = w.update({ ...lease, spec: { holderIdentity: "b" } });
    await expect(stale).rejects.toBeInstanceOf(KubeError);
    await expect(stale).rejects.toMatchObject({ code: "conflict", status: 409 });
    await expect(
      w.create({ ...LEASE, metadata: { name: "l", namespace: "default" }, spec: {} }),
    ).rejects.toMatchObject({ code: "conflict", status: 409 });
  });

  it("a 403 names the missing permission; a read-only server refuses writes", async () => {
    const { server, w } = await setup();
    server.denials.push({ verb: "create", resource: "configmaps" });
    await expect(w.create({ ...CM, metadata: { name: "x", namespace: "default" } })).rejects.toMatchObject({
      code: "forbidden",
      permission: { verb: "create", resource: "configmaps", namespace: "default" },
    });
    await h?.close();
    const ro = await setup(false);
    await expect(ro.w.create({ ...CM, metadata: { name: "x", namespace: "default" } })).rejects.toMatchObject(
      {
        status: 405,
      },
    );
  });

  it("report API auto: openreports.io when served, else wgpolicyk8s.io, else the ConfigMap summary", async () => {
    const { server, client, discovery } = await setup();
    expect(servedReportApi(discovery, "auto")).toBe("configmap");
    const crd = (group: string, kind: string, plural: string, version: string) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { kind, plural },
        versions: [{ name: version, served: true }],
      },
    });
    server.add(crd("wgpolicyk8s.io", "PolicyReport", "policyreports", "v1alpha2"));
    expect(servedReportApi(await client.discover(), "auto")).toBe("wgpolicyk8s");
    server.add(crd("openreports.io", "Report", "reports", "v1alpha1"));
    expect(servedReportApi(await client.discover(), "auto")).toBe("openreports");
    expect(servedReportApi(await client.discover(), "wgpolicyk8s")).toBe("wgpolicyk8s");
  });
});

describe("KubeObjectSource", () => {
  it("lists, then watches from the list's version: writes arrive, a restart ends the stream with 410", async () => {
    const { server, client, w } = await setup();
    const src = new KubeObjectSource(client);
    const ref = { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true };
    const abort = new AbortController();
    let rv = "";
    for await (const page of src.list(ref, { signal: abort.signal })) rv = page.resourceVersion;
    // A write between the list and the watch is replayed from the watch cache.
    await w.create({ ...CM, metadata: { name: "early", namespace: "default" } });
    const seen: string[] = [];
    let err: unknown;
    try {
      for await (const ev of src.watch(ref, { resourceVersion: rv, signal: abort.signal })) {
        seen.push(`${ev.type} ${(ev.object.metadata as { name: string }).name}`);
        if (seen.length === 1) await w.create({ ...CM, metadata: { name: "late", namespace: "default" } });
        if (seen.length === 2) server.restart();
      }
    } catch (e) {
      err = e;
    }
    expect(seen).toEqual(["ADDED early", "ADDED late"]);
    // The restart cut the stream: it ended. Resuming from the old version is 410, "expired".
    expect(err).toBeUndefined();
    let again: unknown;
    try {
      for await (const _ of src.watch(ref, { resourceVersion: rv, signal: abort.signal })) break;
    } catch (e) {
      again = e;
    }
    expect(again).toMatchObject({ code: "expired", status: 410 });
  });
});
