/**
 * Preloaded by `nohead test` into `bun test` (`--preload`): registers the module `nohead/test`,
 * so test files import it from any directory, with no node_modules and no tsconfig of nohead in
 * the user's project. (A runtime plugin's `onResolve` does not reach bare specifiers in Bun 1.4;
 * a virtual module that re-exports the library does, and keeps one copy of its state.)
 */
import { plugin } from "bun";

const library = new URL("./index.ts", import.meta.url).pathname;

plugin({
  name: "nohead/test",
  setup(build) {
    build.module("nohead/test", () => ({
      loader: "ts",
      contents: `export * from ${JSON.stringify(library)};`,
    }));
  },
});
