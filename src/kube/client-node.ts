/**
 * What src/kube uses of @kubernetes/client-node: `KubeConfig`, for kubeconfig loading and auth.
 *
 * `npm run build` replaces this module's build output (dist/kube/client-node.js) with one esbuild
 * bundle of it (package.json "build"): client-node's entry point loads its whole generated API, some
 * 900 files, and importing them took ~0.9 s of CPU and ~60 MB of memory at every `scan` start, more
 * than the audit of a 5,000-pod cluster itself (README "Benchmark: cluster scan"). The bundle keeps
 * what `KubeConfig` reaches (esbuild drops the generated API classes nothing here uses) and loads in
 * ~0.25 s. Tests that run the sources (`vitest --project unit`) use the package as installed; the
 * `cli` and `kube` suites run the bundle.
 */
export type { Cluster, Context, User } from "@kubernetes/client-node";
export { KubeConfig } from "@kubernetes/client-node";
