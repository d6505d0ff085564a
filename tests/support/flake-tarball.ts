/**
 * Serves a flake directory as a tarball over HTTP on loopback: a remote flake reference
 * (`http://127.0.0.1:<port>/flake-<nonce>.tar.gz`) that Nix fetches offline, for agents, which
 * never build local paths. The nonce keeps Nix's tarball cache from answering an earlier run.
 */
import { basename, dirname, join } from "node:path";
import { testTempDir } from "./temp-dir.ts";

export interface ServedFlake {
  /** The flake reference without `#attr`. */
  url: string;
  stop(): void;
}

/**
 * @example
 * const served = await serveFlakeTarball(makeBuildFlake());
 * // POST /v1/builds { flake: `${served.url}#default` }; then served.stop()
 */
export async function serveFlakeTarball(flakeDir: string): Promise<ServedFlake> {
  const tarball = join(testTempDir("nohead-flake-tar-"), "flake.tar.gz");
  const tar = Bun.spawn(["tar", "czf", tarball, "-C", dirname(flakeDir), basename(flakeDir)], {
    stderr: "pipe",
  });
  if ((await tar.exited) !== 0) throw new Error(`tar failed: ${await new Response(tar.stderr).text()}`);
  const name = `flake-${Date.now()}-${Math.random().toString(36).slice(2)}.tar.gz`;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      new URL(request.url).pathname === `/${name}`
        ? new Response(Bun.file(tarball))
        : new Response("not here", { status: 404 }),
  });
  return { url: `http://127.0.0.1:${server.port}/${name}`, stop: () => server.stop(true) };
}
