import { describe, expect, test } from "bun:test";
import { hostForwardRules, qemuOptValue, runnerInvocation } from "./qemu-args.ts";

const base = {
  disk: "/p/.nohead/vms/web/disk.qcow2",
  tmpDir: "/p/.nohead/vms/web/tmp",
  forwards: [
    { name: "ssh", protocol: "tcp" as const, guestPort: 22, hostPort: null, hostAddress: "127.0.0.1" },
    { name: "dns", protocol: "udp" as const, guestPort: 53, hostPort: 5353, hostAddress: "0.0.0.0" },
  ],
  sockets: { qmp: "/run/n/q", guestAgent: "/run/n/g", console: "/run/n/c" },
  consoleLog: "/p/a,b/console.log",
  display: "none" as const,
  privateNetwork: { group: "239.213.1.2", port: 21000, mac: "52:54:00:d5:00:0a" },
  credentials: { "nohead.ssh-authorized-keys": "/p/.nohead/ssh/id_ed25519.pub" },
  kernelParams: ["quiet"],
  extraArgs: ["-m", "2048"],
};

describe("runner inputs (Contract 2)", () => {
  test("host forwards bind their address; a null port becomes 0 (QEMU picks one)", () => {
    expect(hostForwardRules(base.forwards)).toBe("hostfwd=tcp:127.0.0.1:0-:22,hostfwd=udp:0.0.0.0:5353-:53");
  });

  test("environment: disk, scratch dir with USE_TMPDIR, forwards, kernel params", () => {
    expect(runnerInvocation(base).env).toEqual({
      NIX_DISK_IMAGE: base.disk,
      TMPDIR: base.tmpDir,
      USE_TMPDIR: "1",
      QEMU_NET_OPTS: "hostfwd=tcp:127.0.0.1:0-:22,hostfwd=udp:0.0.0.0:5353-:53",
      QEMU_KERNEL_PARAMS: "quiet",
    });
  });

  test("argv: QMP, console with log (commas escaped), guest agent, private NIC, credentials, headless, user args last", () => {
    expect(runnerInvocation(base).args).toEqual([
      "-qmp",
      "unix:/run/n/q,server=on,wait=off",
      "-chardev",
      "socket,id=nohead-console,path=/run/n/c,server=on,wait=off,logfile=/p/a,,b/console.log,logappend=on",
      "-serial",
      "chardev:nohead-console",
      "-device",
      "virtio-serial,id=nohead-serial",
      "-chardev",
      "socket,id=nohead-qga,path=/run/n/g,server=on,wait=off",
      "-device",
      "virtserialport,bus=nohead-serial.0,chardev=nohead-qga,name=org.qemu.guest_agent.0",
      "-netdev",
      "socket,id=nohead-private,mcast=239.213.1.2:21000,localaddr=127.0.0.1",
      "-device",
      "virtio-net-pci,netdev=nohead-private,mac=52:54:00:d5:00:0a",
      "-fw_cfg",
      "name=opt/io.systemd.credentials/nohead.ssh-authorized-keys,file=/p/.nohead/ssh/id_ed25519.pub",
      "-display",
      "none",
      "-m",
      "2048",
    ]);
  });

  test("a window and no private network add neither -display none nor a second NIC", () => {
    const args = runnerInvocation({ ...base, display: "window", privateNetwork: null, extraArgs: [] }).args;
    expect(args).not.toContain("-display");
    expect(args.join(" ")).not.toContain("nohead-private");
  });

  test("an events socket adds a second QMP monitor right after the first", () => {
    const { args } = runnerInvocation({ ...base, sockets: { ...base.sockets, events: "/run/n/e" } });
    expect(args.slice(0, 4)).toEqual([
      "-qmp",
      "unix:/run/n/q,server=on,wait=off",
      "-qmp",
      "unix:/run/n/e,server=on,wait=off",
    ]);
  });

  test("qemuOptValue doubles commas", () => {
    expect(qemuOptValue("a,b,,c")).toBe("a,,b,,,,c");
  });
});
