/** `nohead agent serve`'s flags, as the parser gives them, become the agent's options; unknown ones exit 2. */
import { expect, test } from "bun:test";
import { runCli } from "../../../../tests/support/run-cli.ts";
import { serveOptionsOf } from "./agent.ts";

test("every flag maps to its option, and the defaults are the safe ones", () => {
  expect(
    serveOptionsOf({
      listen: "[::1]:9",
      tokenFile: "/t",
      stateDir: "/s",
      tlsCert: "/c",
      tlsKey: "/k",
      insecure: true,
      allowQemuArgs: true,
      storeDir: "/store",
      onlyTrustedRunners: true,
      trustedPublicKey: ["ci-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="],
      allowFlake: ["github:me/*", "github:you/fleet"],
      allowForwardAddress: ["127.0.0.1", "10.0.0.1"],
      maxMachines: 8,
      allowHost: ["lab.example.org"],
    }),
  ).toEqual({
    listen: "[::1]:9",
    tokenFile: "/t",
    stateDir: "/s",
    tlsCert: "/c",
    tlsKey: "/k",
    storeDir: "/store",
    insecure: true,
    allowQemuArgs: true,
    onlyTrustedRunners: true,
    trustedPublicKeys: ["ci-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="],
    allowedFlakes: ["github:me/*", "github:you/fleet"],
    forwardAddresses: ["127.0.0.1", "10.0.0.1"],
    maxMachines: 8,
    allowedHosts: ["lab.example.org"],
  });
  expect(serveOptionsOf({})).toEqual({
    insecure: false,
    allowQemuArgs: false,
    onlyTrustedRunners: false,
    trustedPublicKeys: [],
    allowedFlakes: [],
    allowedHosts: [],
  });
});

test("an unknown flag is a usage error (exit 2) naming it", async () => {
  const { exitCode, stderr } = await runCli(["agent", "serve", "--tokn-file", "/t"]);
  expect(exitCode).toBe(2);
  expect(stderr).toContain("--tokn-file");
});
