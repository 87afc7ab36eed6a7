// Bundles the built CLI (dist/) and its production dependencies into one CommonJS file, the input of
// Node's single executable application support (https://nodejs.org/api/single-executable-applications.html):
// on Node 24 the SEA main script must be CommonJS and can require only built-in modules.
// Usage: node scripts/sea-bundle.mjs OUT_FILE   (run `npm run build` first; scripts/build-sea.sh does)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/sea-bundle.mjs OUT_FILE");
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// The CLI reads its version from package.json next to dist/ (import.meta.url); an executable has no
// package.json beside it and CommonJS has no import.meta, so that one read becomes the literal JSON.
const PACKAGE_JSON_READ =
  /readFileSync\(new URL\("\.\.\/\.\.\/package\.json", import\.meta\.url\), "utf8"\)/g;
const inlinePackageVersion = {
  name: "inline-package-version",
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]cli[\\/]program\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const replaced = text.replace(PACKAGE_JSON_READ, () =>
        JSON.stringify(JSON.stringify({ version: pkg.version })),
      );
      if (replaced === text)
        return {
          errors: [{ text: `${args.path}: the package.json read changed; update scripts/sea-bundle.mjs` }],
        };
      return { contents: replaced, loader: "js" };
    });
  },
};

const result = await build({
  stdin: {
    // bin/kube-runtime-audit.js without its top-level await, which CommonJS cannot hold.
    contents:
      'import { main } from "./dist/cli/main.js";\nmain(process.argv).then((code) => { process.exitCode = code; });\n',
    resolveDir: root,
    sourcefile: "sea-entry.mjs",
    loader: "js",
  },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node24",
  outfile: out,
  legalComments: "inline",
  logLevel: "silent",
  plugins: [inlinePackageVersion],
});
// import.meta anywhere else would be undefined at run time: refuse rather than ship a broken binary.
const fatal = result.warnings.filter((w) =>
  /import\.meta|require\(\) of ES module|could not be resolved/i.test(w.text),
);
for (const w of result.warnings) console.error(`sea-bundle: warning: ${w.location?.file ?? ""}: ${w.text}`);
if (fatal.length > 0) {
  console.error(`sea-bundle: ${fatal.length} warning(s) would break the executable`);
  process.exit(1);
}
