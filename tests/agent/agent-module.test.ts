/**
 * nix/modules/agent.nix evaluated for real by Nix (with the few nixpkgs `lib` functions it uses
 * stubbed in agent-module-eval.nix, since nixpkgs is not available offline): the service it
 * declares, its credentials, sandbox and assertions.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "../support/run-cli.ts";

interface Evaluated {
  optionNames: string[];
  enabled: boolean;
  failedAssertions: string[];
  networking: { firewall: { allowedTCPPorts: number[] } };
  users: { users: Record<string, { extraGroups: string[]; isSystemUser: boolean }> };
  agent: { path: string[]; environment: Record<string, string>; serviceConfig: Record<string, unknown> };
  vms: { condition: boolean; content: { after: string[]; serviceConfig: Record<string, unknown> } };
}

async function evaluate(settings: Record<string, unknown>): Promise<Evaluated> {
  const expr = `import ${join(REPO_ROOT, "tests/agent/agent-module-eval.nix")} { settings = builtins.fromJSON ${JSON.stringify(JSON.stringify(settings))}; }`;
  const child = Bun.spawn(["nix-instantiate", "--eval", "--strict", "--json", "-E", expr], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`evaluating the module failed: ${err}`);
  return JSON.parse(out) as Evaluated;
}

const base = { enable: true, package: "/nix/store/nohead", tokenFile: "/run/secrets/nohead-token" };

describe("services.nohead-agent", () => {
  test("declares the documented options", async () => {
    expect((await evaluate(base)).optionNames).toEqual([
      "allowQemuArgs",
      "enable",
      "group",
      "insecure",
      "listen",
      "openFirewall",
      "package",
      "stateDir",
      "stopVmsAtShutdown",
      "tls",
      "tokenFile",
      "user",
    ]);
  });

  test("defaults: loopback, token as a credential, a kvm user, the sandbox, VMs outliving the agent", async () => {
    const e = await evaluate(base);
    expect(e.enabled).toBe(true);
    expect(e.failedAssertions).toEqual([]);
    const s = e.agent.serviceConfig;
    expect(s.ExecStart).toBe(
      "/nix/store/nohead/bin/nohead agent serve --listen 127.0.0.1:7420 --state-dir /var/lib/nohead-agent",
    );
    expect(s.LoadCredential).toEqual(["token:/run/secrets/nohead-token"]);
    expect(s.User).toBe("nohead-agent");
    expect(s.SupplementaryGroups).toEqual(["kvm"]);
    expect(e.users.users["nohead-agent"]).toMatchObject({ isSystemUser: true, extraGroups: ["kvm"] });
    expect(s.StateDirectory).toBe("nohead-agent");
    expect(s.RuntimeDirectory).toBe("nohead-agent");
    expect(s.RuntimeDirectoryPreserve).toBe("yes");
    expect(s.KillMode).toBe("process");
    for (const [key, value] of Object.entries({
      ProtectSystem: "strict",
      ProtectHome: true,
      PrivateTmp: true,
      NoNewPrivileges: true,
      DevicePolicy: "closed",
      CapabilityBoundingSet: "",
      UMask: "0077",
    })) {
      expect(s[key]).toBe(value);
    }
    expect(s.DeviceAllow).toEqual(["/dev/kvm rw"]);
    // "-": a host without the Nix daemon's socket (single-user Nix) still starts the agent.
    expect(s.ReadWritePaths).toEqual(["-/nix/var/nix/daemon-socket"]);
    expect(e.agent.environment).toEqual({
      XDG_RUNTIME_DIR: "/run/nohead-agent",
      NOHEAD_STATE_DIR: "/var/lib/nohead-agent",
      HOME: "/var/lib/nohead-agent",
    });
    expect(e.agent.path).toEqual(["/nix/store/nix", "/nix/store/openssh"]);
    expect(e.networking.firewall.allowedTCPPorts).toEqual([]);
    expect(e.vms.condition).toBe(true);
    expect(e.vms.content.after).toEqual(["nohead-agent.service"]);
    expect(e.vms.content.serviceConfig.ExecStop).toBe("/nix/store/nohead/bin/nohead stopall");
  });

  test("only the default user and group are created; another user runs the agent as it is", async () => {
    const e = await evaluate({ ...base, user: "lab", group: "lab" });
    expect(e.users.users).toEqual({});
    expect(e.agent.serviceConfig.User).toBe("lab");
    expect(e.agent.serviceConfig.Group).toBe("lab");
    expect(e.agent.serviceConfig.SupplementaryGroups).toEqual(["kvm"]);
  });

  test("TLS on a network address: key and certificate as credentials, port opened on request", async () => {
    const e = await evaluate({
      ...base,
      listen: "0.0.0.0:7443",
      tls: { certFile: "/var/lib/acme/lab/cert.pem", keyFile: "/var/lib/acme/lab/key.pem" },
      openFirewall: true,
      allowQemuArgs: true,
    });
    expect(e.failedAssertions).toEqual([]);
    expect(e.agent.serviceConfig.ExecStart).toBe(
      "/nix/store/nohead/bin/nohead agent serve --listen 0.0.0.0:7443 --state-dir /var/lib/nohead-agent --tls-cert %d/tls-cert --tls-key %d/tls-key --allow-qemu-args",
    );
    expect(e.agent.serviceConfig.LoadCredential).toEqual([
      "token:/run/secrets/nohead-token",
      "tls-cert:/var/lib/acme/lab/cert.pem",
      "tls-key:/var/lib/acme/lab/key.pem",
    ]);
    expect(e.networking.firewall.allowedTCPPorts).toEqual([7443]);
  });

  test("assertions name the option and the fix", async () => {
    const e = await evaluate({
      ...base,
      listen: "0.0.0.0:7420",
      tokenFile: "/nix/store/abc-token",
      tls: { certFile: "/c.pem" },
    });
    expect(e.failedAssertions).toEqual([
      "services.nohead-agent.tokenFile must be an absolute path outside the Nix store (it is a secret), got /nix/store/abc-token",
      "services.nohead-agent.tls.certFile and tls.keyFile go together: set both or neither",
      // Half a TLS setup is no TLS: the address is refused too.
      'services.nohead-agent.listen = "0.0.0.0:7420" is reachable from the network: set tls.certFile and tls.keyFile, or insecure = true on a trusted network',
    ]);
    const lan = await evaluate({ ...base, listen: "0.0.0.0:7420" });
    expect(lan.failedAssertions).toEqual([
      'services.nohead-agent.listen = "0.0.0.0:7420" is reachable from the network: set tls.certFile and tls.keyFile, or insecure = true on a trusted network',
    ]);
    expect((await evaluate({ ...base, listen: "0.0.0.0:7420", insecure: true })).failedAssertions).toEqual(
      [],
    );
    expect((await evaluate({ ...base, listen: "[::1]:7420" })).failedAssertions).toEqual([]);
  });
});
