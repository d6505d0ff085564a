/**
 * A valid manifest machine for tests (SSH forward, SSH health check, default intervals and
 * policy), with `overrides` on top: tests name what differs and nothing else.
 */
import type { ManifestMachine } from "../manifest.ts";

/**
 * @example
 * sampleMachine({ name: "db", runner: `${store}/bin/run` })
 */
export function sampleMachine(overrides: Partial<ManifestMachine> = {}): ManifestMachine {
  return {
    name: "web",
    baseName: "web",
    index: 1,
    username: "nixy",
    forwards: [{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: null, hostAddress: "127.0.0.1" }],
    dependsOn: [],
    restart: "no",
    health: {
      ssh: true,
      tcp: [],
      command: null,
      initScript: false,
      intervalSeconds: 30,
      timeoutSeconds: 10,
      retries: 3,
      deadlines: { startedSeconds: 30, bootedSeconds: 300, readySeconds: 600 },
    },
    network: null,
    secrets: [],
    host: null,
    initScript: false,
    diskImage: false,
    runner: "/nix/store/00000000000000000000000000000000-run-web-vm/bin/run-web-vm",
    system: "/nix/store/00000000000000000000000000000000-nixos-system-web",
    ...overrides,
  };
}
