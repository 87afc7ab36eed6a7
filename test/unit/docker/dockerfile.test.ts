// The Dockerfile cannot be built here (no container engine), so it is linted (dockerfile-utils, the
// validator behind VS Code's Dockerfile support) and held to package.json: its build steps are the
// package scripts, and the runtime stage ships exactly what `npm pack` ships plus production deps.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser, type Instruction, ModifiableInstruction } from "dockerfile-ast";
import { ValidationSeverity, type ValidatorSettings, validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "../../..");
const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  license: string;
  version: string;
  files: string[];
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const dockerfile = DockerfileParser.parse(text);

/** Global ARG defaults (before the first FROM), as `docker build` resolves `FROM ${X}`. */
const globalArgs = new Map<string, string>();
for (const i of dockerfile.getInstructions()) {
  if (i.getKeyword() === "FROM") break;
  if (i.getKeyword() === "ARG") {
    const [k, v] = (i.getArgumentsContent() ?? "").split("=", 2);
    if (k && v) globalArgs.set(k, v);
  }
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}
const stages: Stage[] = [];
for (const i of dockerfile.getInstructions()) {
  const kw = i.getKeyword();
  if (kw === "FROM") {
    const [image = "", as, name] = i.getArguments().map((a) => a.getValue());
    const resolved = image.replace(/^\$\{(\w+)\}$/, (_, v: string) => globalArgs.get(v) ?? `<unset ${v}>`);
    stages.push({
      image: resolved,
      ...(as?.toUpperCase() === "AS" && name ? { name } : {}),
      instructions: [],
    });
  } else stages.at(-1)?.instructions.push(i);
}
const final = stages.at(-1) as Stage;
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
/** COPY's --from stage, if any (flags are not arguments in the AST). */
const fromStage = (i: Instruction) =>
  i instanceof ModifiableInstruction
    ? i
        .getFlags()
        .find((f) => f.getName() === "from")
        ?.getValue()
    : undefined;
const ofKind = (s: Stage, kw: string) => s.instructions.filter((i) => i.getKeyword() === kw);

describe("Dockerfile", () => {
  it("passes the linter with every check an error", () => {
    const strict: ValidatorSettings = {
      deprecatedMaintainer: ValidationSeverity.ERROR,
      directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR,
      instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR,
      instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    expect(validate(text, strict).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("the linter does catch a broken Dockerfile", () => {
    expect(validate("FROM node:24\nCOPY\nUSER\nEXPOSE 99999\nworkdir app\n").length).toBeGreaterThanOrEqual(
      3,
    );
  });

  it("builds on Node 24 and runs on a minimal Node 24 base, both pinned", () => {
    expect(stages.map((s) => s.name)).toEqual(["build", "deps", undefined]);
    for (const s of stages.slice(0, 2)) expect(s.image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    // distroless publishes one tag per Node major; a release pins the digest (RUNTIME_IMAGE build arg).
    expect(final.image).toBe("gcr.io/distroless/nodejs24-debian12:nonroot");
    for (const s of stages) expect(s.image).not.toMatch(/:latest$|^[^:]+$/);
  });

  it("runs npm and the package scripts only: `npm ci` then `npm run build`", () => {
    const runs = stages.flatMap((s) => ofKind(s, "RUN").map((i) => `${s.name}: ${i.getArgumentsContent()}`));
    expect(runs).toEqual([
      "build: npm ci --ignore-scripts --no-audit --no-fund",
      "build: npm run build",
      "deps: npm ci --omit=dev --ignore-scripts --no-audit --no-fund",
    ]);
    // `prepare` is what npm would have run; the Dockerfile runs the same script explicitly.
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.scripts.build).toBeDefined();
    expect(ofKind(final, "RUN")).toEqual([]);
  });

  it("copies only files that exist, each let through by .dockerignore", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1).replace(/\/$/, ""));
    for (const s of stages)
      for (const c of ofKind(s, "COPY")) {
        if (fromStage(c) !== undefined) continue;
        for (const src of args(c).slice(0, -1)) {
          const p = src.replace(/\/$/, "");
          expect(existsSync(join(ROOT, p)), src).toBe(true);
          expect(ignore, `${src} is excluded from the build context`).toContain(p);
        }
      }
  });

  it("ships package.json `files` plus the production node_modules, nothing else", () => {
    const shipped = ofKind(final, "COPY").map((c) => {
      const [src = "", dest = ""] = args(c);
      const from = fromStage(c);
      // What lands in /app, named as in package.json "files".
      return `${from ? `${from}:` : ""}${src.replace(/^\/(src|app)\//, "")} -> ${dest}`;
    });
    expect(shipped.sort()).toEqual(
      [
        "package.json -> ./",
        "deps:node_modules -> ./node_modules",
        "build:dist -> ./dist/",
        "bin -> ./bin/",
        "docs/rules -> ./docs/rules/",
      ].sort(),
    );
    const fromContextOrBuild = shipped
      .filter((s) => !s.startsWith("deps:") && !s.startsWith("package.json"))
      .map((s) => `${s.split(" -> ")[1]?.replace(/^\.\//, "")}`);
    expect(fromContextOrBuild.sort()).toEqual([...pkg.files].sort());
  });

  it("runs as a non-root user the chart's securityContext matches", () => {
    const users = ofKind(final, "USER").map((u) => u.getArgumentsContent());
    expect(users).toEqual(["65532:65532"]);
    expect(readFileSync(join(ROOT, "charts/kube-runtime-audit/templates/_helpers.tpl"), "utf8")).toContain(
      "runAsUser: 65532",
    );
  });

  it("starts the package's bin with the image's node", () => {
    const [ep] = ofKind(final, "ENTRYPOINT");
    const argv = JSON.parse(ep?.getArgumentsContent() ?? "[]") as string[];
    expect(argv[0]).toBe("/nodejs/bin/node");
    expect(argv[1]).toBe(`/app/${pkg.bin["kube-runtime-audit"]}`);
  });

  it("carries the OCI labels, with the package's license", () => {
    const labels = ofKind(final, "LABEL")
      .map((l) => l.getArgumentsContent() ?? "")
      .join(" ");
    for (const key of ["title", "description", "source", "licenses", "version", "revision", "created"])
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toContain(`org.opencontainers.image.licenses="${pkg.license}"`);
    const versionArg = ofKind(final, "ARG").find((a) => a.getArgumentsContent()?.startsWith("VERSION="));
    expect(versionArg?.getArgumentsContent()).toBe(`VERSION=${pkg.version}`);
  });

  it("is the chart's default image", () => {
    const values = parse(readFileSync(join(ROOT, "charts/kube-runtime-audit/values.yaml"), "utf8")) as {
      image: { repository: string; tag: string };
    };
    const chart = parse(readFileSync(join(ROOT, "charts/kube-runtime-audit/Chart.yaml"), "utf8")) as {
      appVersion: string;
    };
    expect(values.image.repository).toBe("ghcr.io/kube-runtime-audit/kube-runtime-audit");
    expect(values.image.tag).toBe("");
    expect(chart.appVersion).toBe(pkg.version);
    expect(text).toContain(`${values.image.repository}:${pkg.version}`);
  });
});
