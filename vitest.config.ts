import { defineConfig } from "vitest/config";

// The opt-in suite against a real cluster (test/live): only with RUNTIME_AUDIT_LIVE=1, which
// `npm run test:live` sets, so scripts/test.sh (a plain `vitest run`) never includes it.
const live = process.env.RUNTIME_AUDIT_LIVE === "1";

// Suites: pure unit tests, the CLI spawned as a process (needs `npm run build`), the real kubectl
// against the fake API server (test/kube/setup.ts installs it), and the suites that need real
// components (registry, containerd, podman) started by test/real/setup.ts.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "cli", include: ["test/cli/**/*.test.ts"], testTimeout: 60_000 } },
      // The real kubectl 1.35 (installed by the global setup) against the fake API server, and the
      // kubectl plugin end to end.
      {
        test: {
          name: "kube",
          include: ["test/kube/**/*.test.ts"],
          globalSetup: ["test/kube/setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
      ...(live
        ? [
            {
              test: {
                name: "live",
                include: ["test/live/**/*.test.ts"],
                // The real kubectl, for `kubectl proxy` and to look up each finding's subject.
                globalSetup: ["test/kube/setup.ts"],
                testTimeout: 120_000,
                hookTimeout: 900_000,
              },
            },
          ]
        : []),
      {
        test: {
          name: "real",
          include: ["test/real/**/*.test.ts"],
          globalSetup: ["test/real/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
