// The single-file executable (scripts/build-sea.sh) runs with no node on PATH and gives exactly what the
// npm-installed CLI gives; the release archive and the krew manifest name each other correctly.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { helm } from "../unit/chart/helm.js";
import { ROOT, type RunResult, run, spawnCollect } from "./run.js";

const out = mkdtempSync(join(tmpdir(), "kra-sea-"));
const exe = join(out, "kubectl-runtime_audit");
const ARCHIVE = "kubectl-runtime_audit-linux-amd64.tar.gz";
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

/** PATH with every directory that holds a `node` dropped. */
function pathWithoutNode(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((d) => {
      try {
        accessSync(join(d, "node"), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}
const PATH = pathWithoutNode();

function runExe(args: string[], path = PATH): Promise<RunResult> {
  // A clean environment: nothing from this test's node (NODE_OPTIONS, npm_*) leaks in.
  return spawnCollect(exe, args, {
    cwd: ROOT,
    env: { PATH: path, HOME: out, NO_COLOR: "", SOURCE_DATE_EPOCH: "1767225600" },
  });
}

beforeAll(() => {
  execFileSync("bash", [join(ROOT, "scripts/build-sea.sh"), out], { stdio: ["ignore", "ignore", "pipe"] });
}, 600_000);
// The executable is ~125 MB: leave nothing behind.
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("single-file executable", () => {
  it("the test PATH really has no node", () => {
    const r = spawnSync("/bin/sh", ["-c", "command -v node"], { env: { PATH } });
    expect(r.status).not.toBe(0);
    expect(PATH).not.toBe("");
  });

  for (const args of [
    ["files", "examples", "-o", "json"],
    ["files", "examples", "-o", "sarif"],
    ["files", "examples/apps", "--fail-on", "none"],
    ["files", "test/fixtures/cli/bad", "-o", "json"],
  ]) {
    it(`gives the CLI's output and exit code: ${args.join(" ")}`, async () => {
      const [sea, cli] = await Promise.all([runExe(args), run(args)]);
      expect(sea.stderr).toBe(cli.stderr);
      expect(sea.stdout).toBe(cli.stdout);
      expect(sea.code).toBe(cli.code);
      expect(sea.stdout.length).toBeGreaterThan(100);
    });
  }

  it("reports the package version", async () => {
    const r = await runExe(["--version"]);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.code).toBe(0);
  });

  it("is a kubectl plugin: the real kubectl finds it on PATH as `kubectl runtime-audit`", async () => {
    const kubectlDir = join(helm(), "..");
    const r = spawnSync("kubectl", ["runtime-audit", "--version"], {
      env: { PATH: [out, kubectlDir, PATH].join(delimiter), HOME: out },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe("release archive and krew manifest", () => {
  it("the archive holds the executable alone, mode 0755, with the sha256 the build printed", () => {
    const listing = execFileSync("tar", ["-tvzf", join(out, ARCHIVE)], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(listing).toHaveLength(1);
    expect(listing[0]).toMatch(/^-rwxr-xr-x 0\/0 .* kubectl-runtime_audit$/);
    const sha = createHash("sha256")
      .update(readFileSync(join(out, ARCHIVE)))
      .digest("hex");
    expect(readFileSync(join(out, `${ARCHIVE}.sha256`), "utf8")).toBe(`${sha}  ${ARCHIVE}\n`);
  });

  interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: {
      version: string;
      shortDescription: string;
      platforms: {
        selector: { matchLabels: Record<string, string> };
        uri: string;
        sha256: string;
        bin: string;
      }[];
    };
  }
  const committed = parse(readFileSync(join(ROOT, "plugins/runtime-audit.yaml"), "utf8")) as Manifest;

  it("plugins/runtime-audit.yaml is a krew Plugin for linux/amd64 naming the built artifact and bin", () => {
    expect(committed.apiVersion).toBe("krew.googlecontainertools.github.com/v1alpha2");
    expect(committed.kind).toBe("Plugin");
    // krew turns the plugin name's "-" into "_" for the binary kubectl looks up.
    expect(committed.metadata.name).toBe("runtime-audit");
    expect(committed.spec.version).toBe(`v${pkg.version}`);
    expect(committed.spec.platforms).toHaveLength(1);
    const p = committed.spec.platforms[0] as Manifest["spec"]["platforms"][number];
    expect(p.selector.matchLabels).toEqual({ os: "linux", arch: "amd64" });
    expect(p.bin).toBe("kubectl-runtime_audit");
    expect(p.uri).toBe(
      `https://github.com/kube-runtime-audit/kube-runtime-audit/releases/download/v${pkg.version}/${ARCHIVE}`,
    );
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the README names the artifacts the build writes and the URI the manifest expects", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const name of [ARCHIVE, `${ARCHIVE}.sha256`, "runtime-audit.yaml", "kubectl runtime-audit"])
      expect(readme).toContain(`\`${name}`);
    const uri = committed.spec.platforms[0]?.uri ?? "";
    expect(readme).toContain(uri.replace(`v${pkg.version}`, "v<version>"));
  });

  it("the build writes the release manifest: the committed one with this archive's sha256", () => {
    const built = parse(readFileSync(join(out, "runtime-audit.yaml"), "utf8")) as Manifest;
    const sha = readFileSync(join(out, `${ARCHIVE}.sha256`), "utf8").split(" ")[0];
    expect(built.spec.platforms[0]?.sha256).toBe(sha);
    const withoutSha = (m: Manifest) => ({
      ...m,
      spec: { ...m.spec, platforms: m.spec.platforms.map((p) => ({ ...p, sha256: "" })) },
    });
    expect(withoutSha(built)).toEqual(withoutSha(committed));
  });
});
