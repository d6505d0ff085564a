import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noheadErrorOf } from "@nohead/schema/testing";
import { hostsFileLocations, loadHosts, type ResolvedAgentHost } from "./hosts-file.ts";

/** The declared agent `name` (these tests declare only agents, bar the Slurm ones). */
function agent(hosts: Map<string, unknown>, name: string): ResolvedAgentHost | undefined {
  return hosts.get(name) as ResolvedAgentHost | undefined;
}

function layout() {
  const root = mkdtempSync(join(tmpdir(), "nohead-hosts-"));
  const home = join(root, "home");
  const stateDir = join(root, "project", ".nohead");
  mkdirSync(join(home, ".config", "nohead"), { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  return {
    home,
    stateDir,
    userFile: join(home, ".config", "nohead", "hosts.json"),
    projectFile: join(stateDir, "hosts.json"),
  };
}

describe("the hosts file", () => {
  test("locations: the user's config, then the project's state dir", () => {
    expect(hostsFileLocations("/p/.nohead", { HOME: "/h" })).toEqual([
      "/h/.config/nohead/hosts.json",
      "/p/.nohead/hosts.json",
    ]);
    expect(hostsFileLocations("/p/.nohead", { XDG_CONFIG_HOME: "/x" })[0]).toBe("/x/nohead/hosts.json");
  });

  test("none declared: no hosts", () => {
    const { home, stateDir } = layout();
    expect(loadHosts(stateDir, { HOME: home }).size).toBe(0);
  });

  test("both files merge, the project's wins per name; token paths resolve", () => {
    const { home, stateDir, userFile, projectFile } = layout();
    writeFileSync(
      userFile,
      JSON.stringify({
        hosts: {
          lab: {
            url: "https://lab:7420",
            tokenFile: "lab.token",
            closures: "nix-copy",
            sshTarget: "nix@lab",
          },
          ci: { url: "http://127.0.0.1:7420", tokenFile: "~/ci.token", closures: "agent-builds" },
        },
      }),
    );
    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: { lab: { url: "https://lab2:7420", tokenFile: "/etc/lab.token", closures: "agent-builds" } },
      }),
    );
    const hosts = loadHosts(stateDir, { HOME: home });
    expect([...hosts.keys()].sort()).toEqual(["ci", "lab"]);
    expect(hosts.get("ci")).toEqual({
      name: "ci",
      url: "http://127.0.0.1:7420",
      tokenFile: join(home, "ci.token"),
      closures: "agent-builds",
      declaredIn: userFile,
    });
    expect(hosts.get("lab")).toEqual({
      name: "lab",
      url: "https://lab2:7420",
      tokenFile: "/etc/lab.token",
      closures: "agent-builds",
      declaredIn: projectFile,
    });
  });

  test("http:// only for loopback unless the entry says insecure: the token would cross the network in clear", () => {
    const { home, stateDir, projectFile } = layout();
    const entry = { tokenFile: "t", closures: "agent-builds" };
    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: {
          lab: { ...entry, url: "http://lab.example.org:7420" },
          lan: { ...entry, url: "http://192.168.1.20:7420" },
        },
      }),
    );
    const error = noheadErrorOf(() => loadHosts(stateDir, { HOME: home }));
    expect(error.kind).toBe("config");
    for (const [name, host] of [
      ["lab", "lab.example.org"],
      ["lan", "192.168.1.20"],
    ]) {
      expect(error.message).toContain(
        `http:// sends the token in clear to ${host}: use https://, reach the agent through \`ssh -L\` on loopback, or set "insecure": true on a network you trust\n  → at hosts.${name}.url`,
      );
    }
    const fine = {
      v4: { ...entry, url: "http://127.0.0.1:7420" },
      v4b: { ...entry, url: "http://127.3.2.1:7420" },
      v6: { ...entry, url: "http://[::1]:7420" },
      name: { ...entry, url: "http://localhost:7420" },
      tls: { ...entry, url: "https://lab.example.org:7420" },
      trusted: { ...entry, url: "http://lab.example.org:7420", insecure: true },
    };
    writeFileSync(projectFile, JSON.stringify({ hosts: fine }));
    const hosts = loadHosts(stateDir, { HOME: home });
    expect([...hosts.keys()].sort()).toEqual(Object.keys(fine).sort());
    expect(agent(hosts, "trusted")?.insecure).toBe(true);
    // insecure: false is the default, said out loud.
    writeFileSync(
      projectFile,
      JSON.stringify({ hosts: { lab: { ...entry, url: "http://lab:7420", insecure: false } } }),
    );
    expect(noheadErrorOf(() => loadHosts(stateDir, { HOME: home })).message).toContain("at hosts.lab.url");
  });

  test("an sshTarget never starts an argv word with -: not the user, not the host", () => {
    const { home, stateDir, projectFile } = layout();
    const entry = { url: "https://lab", tokenFile: "t", closures: "nix-copy" };
    for (const sshTarget of ["-oProxyCommand=x@lab", "nix@-oProxyCommand=x", "nix@-lab", "lab"]) {
      writeFileSync(projectFile, JSON.stringify({ hosts: { lab: { ...entry, sshTarget } } }));
      expect(noheadErrorOf(() => loadHosts(stateDir, { HOME: home })).message).toContain("must be user@host");
    }
    writeFileSync(projectFile, JSON.stringify({ hosts: { lab: { ...entry, sshTarget: "nix@10.0.0.2" } } }));
    expect(agent(loadHosts(stateDir, { HOME: home }), "lab")?.sshTarget).toBe("nix@10.0.0.2");
  });

  test("relative token files are relative to the hosts file", () => {
    const { home, stateDir, userFile } = layout();
    writeFileSync(
      userFile,
      JSON.stringify({
        hosts: { lab: { url: "https://lab", tokenFile: "t/lab", closures: "agent-builds" } },
      }),
    );
    expect(agent(loadHosts(stateDir, { HOME: home }), "lab")?.tokenFile).toBe(
      join(home, ".config", "nohead", "t", "lab"),
    );
  });

  test("every problem is listed: bad URL, unknown field, nix-copy without sshTarget, reserved name", () => {
    const { home, stateDir, projectFile } = layout();
    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: {
          local: { url: "https://x", tokenFile: "t", closures: "agent-builds" },
          lab: { url: "ftp://lab", tokenFile: "t", closures: "nix-copy", port: 1 },
        },
      }),
    );
    const error = noheadErrorOf(() => loadHosts(stateDir, { HOME: home }));
    expect(error.kind).toBe("config");
    expect(error.message).toStartWith(`${projectFile} does not match the hosts file format:`);
    for (const part of ['"local" is this computer', "hosts.lab.url", "port", "needs sshTarget"]) {
      expect(error.message).toContain(part);
    }
    expect(error.hint).toBe("docs/hosts.md shows the format");
  });

  test("sshOptions: an argv list kept as written; needs sshTarget; no backslash or control characters", () => {
    const { home, stateDir, projectFile } = layout();
    const sshOptions = ["-p", "2222", "-i", "/keys/lab key's id"];
    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: {
          lab: { url: "https://lab", tokenFile: "t", closures: "shared", sshTarget: "nix@lab", sshOptions },
        },
      }),
    );
    expect(loadHosts(stateDir, { HOME: home }).get("lab")?.sshOptions).toEqual(sshOptions);

    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: {
          a: { url: "https://a", tokenFile: "t", closures: "shared", sshOptions: ["-p", "2222"] },
          b: {
            url: "https://b",
            tokenFile: "t",
            closures: "shared",
            sshTarget: "nix@b",
            sshOptions: ["C:\\key"],
          },
          c: {
            url: "https://c",
            tokenFile: "t",
            closures: "shared",
            sshTarget: "nix@c",
            sshOptions: ["-p\n2"],
          },
        },
      }),
    );
    const error = noheadErrorOf(() => loadHosts(stateDir, { HOME: home }));
    expect(error.kind).toBe("config");
    for (const part of [
      "sshOptions needs sshTarget (user@host)",
      "hosts.b.sshOptions[0]",
      "hosts.c.sshOptions[0]",
      "must be printable ASCII without a backslash",
    ]) {
      expect(error.message).toContain(part);
    }
  });

  test("a Slurm host: defaults filled in, no token; mistakes named against the Slurm schema", () => {
    const { home, stateDir, projectFile } = layout();
    writeFileSync(
      projectFile,
      JSON.stringify({ hosts: { cluster: { slurm: { partition: "debug" }, closures: "shared" } } }),
    );
    expect(loadHosts(stateDir, { HOME: home }).get("cluster")).toEqual({
      name: "cluster",
      declaredIn: projectFile,
      closures: "shared",
      slurm: {
        partition: "debug",
        account: null,
        timeLimit: "8:00:00",
        extraArgs: [],
        maxCoresPerJob: 16,
        readyTimeoutMinutes: 10,
        agentAddress: "node",
      },
    });
    writeFileSync(
      projectFile,
      JSON.stringify({
        hosts: {
          cluster: {
            slurm: { partition: "-x", timeLimit: "soon", extraArgs: ["--qos=long", "script.sh"] },
            closures: "copy",
          },
        },
      }),
    );
    const error = noheadErrorOf(() => loadHosts(stateDir, { HOME: home }));
    for (const part of [
      "hosts.cluster.slurm.partition",
      "must be a Slurm name",
      "must be a Slurm time",
      "hosts.cluster.slurm.extraArgs[1]",
      "must be one sbatch option",
      'closures "copy" needs sshUser',
    ]) {
      expect(error.message).toContain(part);
    }
    expect(error.message).not.toContain("url");
  });

  test("a file that is not JSON is a config error naming it", () => {
    const { home, stateDir, projectFile } = layout();
    writeFileSync(projectFile, "{ hosts: ");
    const error = noheadErrorOf(() => loadHosts(stateDir, { HOME: home }));
    expect(error.message).toBe(`${projectFile} is not valid JSON`);
  });
});
