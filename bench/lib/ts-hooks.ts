/**
 * Lets Node run this repository's TypeScript directly (Node >= 22.18 / 23.6 strips types by default):
 * our sources import siblings with the `.js` suffix that tsc wants, so this resolve hook retries a
 * relative `./x.js` import as `./x.ts` when only the .ts file exists.
 * Use: node --import ./bench/lib/ts-hooks.ts bench/images.ts
 * https://nodejs.org/api/module.html#moduleregisterhooksoptions
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (
      (specifier.startsWith("./") || specifier.startsWith("../")) &&
      specifier.endsWith(".js") &&
      context.parentURL
    ) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (ts.protocol === "file:" && existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
    }
    return nextResolve(specifier, context);
  },
});
