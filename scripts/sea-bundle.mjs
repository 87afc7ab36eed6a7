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

// The CLI reads files that ship beside dist/ through import.meta.url: its version from package.json
// (src/cli/program.ts) and the config schema (src/config/config.ts). An executable has no files
// beside it and CommonJS has no import.meta, so each such read becomes the file's text, inlined.
const schemaText = () => readFileSync(join(root, "schema/runtime-audit-config.schema.json"), "utf8");
const INLINED = [
  {
    module: /[\\/]dist[\\/]cli[\\/]program\.js$/,
    edits: [
      [
        /readFileSync\(new URL\("\.\.\/\.\.\/package\.json", import\.meta\.url\), "utf8"\)/g,
        () => JSON.stringify(JSON.stringify({ version: pkg.version })),
      ],
    ],
  },
  {
    module: /[\\/]dist[\\/]config[\\/]config\.js$/,
    edits: [
      [
        /new URL\("\.\.\/\.\.\/schema\/runtime-audit-config\.schema\.json", import\.meta\.url\)/g,
        () => "null",
      ],
      [/readFileSync\(SCHEMA_URL, "utf8"\)/g, () => JSON.stringify(schemaText())],
    ],
  },
];
const inlineShippedFiles = {
  name: "inline-shipped-files",
  setup(b) {
    for (const f of INLINED) {
      b.onLoad({ filter: f.module }, (args) => {
        let text = readFileSync(args.path, "utf8");
        for (const [read, value] of f.edits) {
          const replaced = text.replace(read, value);
          if (replaced === text)
            return {
              errors: [{ text: `${args.path}: a shipped-file read changed; update scripts/sea-bundle.mjs` }],
            };
          text = replaced;
        }
        return { contents: text, loader: "js" };
      });
    }
  },
};

// dist/kube/client-node.js is itself an ESM bundle (package.json "build") whose banner makes a
// `require` from import.meta.url, which a CommonJS bundle does not have: bundle its source instead,
// src/kube/client-node.ts, so client-node goes into the executable as it did before that bundle.
const clientNodeSource = {
  name: "client-node-source",
  setup(b) {
    b.onResolve({ filter: /^\.\/client-node\.js$/ }, (args) =>
      /[\\/]dist[\\/]kube$/.test(args.resolveDir)
        ? { path: join(root, "src/kube/client-node.ts") }
        : undefined,
    );
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
  plugins: [inlineShippedFiles, clientNodeSource],
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
