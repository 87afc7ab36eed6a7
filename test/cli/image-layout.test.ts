// No container engine runs here, so the image's runtime stage is rebuilt as a directory: the files the
// Dockerfile copies into /app and the production dependencies installed by the deps stage's own RUN
// line. The CLI must run from it with the same results: a devDependency used at run time, or a file
// the image lacks, fails here instead of in a cluster.
import { execSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, spawnCollect } from "./run.js";

const app = mkdtempSync(join(tmpdir(), "kra-image-app-"));
const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, "Dockerfile"), "utf8"));

beforeAll(() => {
  // The deps stage: package.json + lock, then its RUN line verbatim.
  const deps = dockerfile
    .getInstructions()
    .filter((i) => i.getKeyword() === "RUN")
    .map((i) => i.getArgumentsContent() ?? "");
  const install = deps.find((c) => c.includes("--omit=dev"));
  if (!install) throw new Error("the Dockerfile has no production-dependency install step");
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(ROOT, f), join(app, f));
  execSync(`${install} --prefer-offline --loglevel=error`, {
    cwd: app,
    stdio: ["ignore", "ignore", "inherit"],
  });
  rmSync(join(app, "package-lock.json"));
  // The runtime stage's COPYs: package.json "files" (dist/ as the build stage made it).
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
  for (const f of pkg.files) cpSync(join(ROOT, f), join(app, f), { recursive: true });
}, 300_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("the image's /app", () => {
  it("has no devDependency installed", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    for (const dev of ["typescript", "vitest", "esbuild", "kubernetes-models"]) {
      expect(Object.keys(pkg.devDependencies)).toContain(dev);
      expect(() => readFileSync(join(app, "node_modules", dev, "package.json"))).toThrow();
    }
  });

  for (const args of [["files", "examples", "-o", "json"], ["--version"]]) {
    it(`runs the CLI with the npm-installed results: ${args.join(" ")}`, async () => {
      const env = { ...process.env, NO_COLOR: "", SOURCE_DATE_EPOCH: "1767225600", NODE_ENV: "production" };
      const [image, cli] = await Promise.all([
        spawnCollect(process.execPath, [join(app, "bin/kube-runtime-audit.js"), ...args], { cwd: ROOT, env }),
        run(args),
      ]);
      expect(image.stderr).toBe(cli.stderr);
      expect(image.stdout).toBe(cli.stdout);
      expect(image.code).toBe(cli.code);
    });
  }
});
