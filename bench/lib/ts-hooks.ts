/**
 * Lets Node run the benchmarks' TypeScript directly (Node >= 22.18 / 23.6 strips types by default).
 * Two resolve rules:
 * - an import of the product (`…/src/….js`) loads the compiled build (`…/dist/….js`, `npm run build`),
 *   so benchmarks measure what ships and type-check against the sources;
 * - any other relative `./x.js` import whose file does not exist loads `./x.ts` (our sources import
 *   siblings with the `.js` suffix that tsc wants).
 * Use: node --import ./bench/lib/ts-hooks.ts bench/images.ts
 * https://nodejs.org/api/module.html#moduleregisterhooksoptions
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../../", import.meta.url);
const SRC = new URL("src/", ROOT).href;
const DIST = new URL("dist/", ROOT).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (
      (specifier.startsWith("./") || specifier.startsWith("../")) &&
      specifier.endsWith(".js") &&
      context.parentURL
    ) {
      const url = new URL(specifier, context.parentURL);
      if (url.href.startsWith(SRC) && !context.parentURL.startsWith(SRC)) {
        const built = new URL(url.href.slice(SRC.length), DIST);
        if (!existsSync(fileURLToPath(built))) {
          throw new Error(`${fileURLToPath(built)} is missing: run \`npm run build\` first`);
        }
        return nextResolve(built.href, context);
      }
      if (!existsSync(fileURLToPath(url))) {
        const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
        if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
