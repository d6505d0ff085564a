/**
 * The runner's inputs (Contract 2): environment and extra argv that turn a `run-<name>-vm`
 * script into a supervised VM — QMP, console, guest agent, private network, credentials,
 * display mode, and host forwards bound to the configured address.
 */
import type { Forward } from "@nohead/schema";

export interface RunnerInputs {
  /** Absolute path of the VM's writable disk. */
  disk: string;
  /** Per-VM scratch directory. */
  tmpDir: string;
  forwards: Forward[];
  /**
   * `events`: a second QMP monitor the VM's watcher holds for QEMU's events (QEMU serves one client
   * per monitor, so `qmp` stays free for commands such as stop).
   */
  sockets: { qmp: string; guestAgent: string; console: string; events?: string };
  consoleLog: string;
  display: "none" | "window";
  /** The private network: multicast group:port shared by the project, and this VM's MAC. */
  privateNetwork: { group: string; port: number; mac: string } | null;
  /** systemd credentials: name → host file (read by QEMU, never on argv as content). */
  credentials: Record<string, string>;
  kernelParams: string[];
  /** Extra QEMU arguments from the user (`nohead run vm -- -m 2048`). */
  extraArgs: string[];
}

/**
 * The QEMU id of the private network's netdev. QMP `set_link` with this name takes the private
 * NIC's link down or up (the test API's `block`/`unblock`); the user network stays up.
 */
export const PRIVATE_NETDEV_ID = "nohead-private";

/**
 * `hostfwd` rules for QEMU_NET_OPTS. A null host port becomes 0, so QEMU binds a free port itself
 * (no race between choosing and binding); the chosen one is read back over QMP.
 *
 * @example
 * hostForwardRules([{ name: "ssh", protocol: "tcp", guestPort: 22, hostPort: null, hostAddress: "127.0.0.1" }])
 * // => "hostfwd=tcp:127.0.0.1:0-:22"
 */
export function hostForwardRules(forwards: Forward[]): string {
  return forwards
    .map((f) => `hostfwd=${f.protocol}:${f.hostAddress}:${f.hostPort ?? 0}-:${f.guestPort}`)
    .join(",");
}

/** Escapes a value inside a QEMU `-opt key=value,...` list (a comma is written twice). */
export function qemuOptValue(value: string): string {
  return value.replaceAll(",", ",,");
}

/** Environment and argv for the runner. */
export function runnerInvocation(inputs: RunnerInputs): { env: Record<string, string>; args: string[] } {
  const env = {
    NIX_DISK_IMAGE: inputs.disk,
    TMPDIR: inputs.tmpDir,
    USE_TMPDIR: "1",
    QEMU_NET_OPTS: hostForwardRules(inputs.forwards),
    QEMU_KERNEL_PARAMS: inputs.kernelParams.join(" "),
  };
  const args = [
    "-qmp",
    `unix:${qemuOptValue(inputs.sockets.qmp)},server=on,wait=off`,
    ...(inputs.sockets.events
      ? ["-qmp", `unix:${qemuOptValue(inputs.sockets.events)},server=on,wait=off`]
      : []),
    "-chardev",
    `socket,id=nohead-console,path=${qemuOptValue(inputs.sockets.console)},server=on,wait=off,logfile=${qemuOptValue(inputs.consoleLog)},logappend=on`,
    "-serial",
    "chardev:nohead-console",
    "-device",
    "virtio-serial,id=nohead-serial",
    "-chardev",
    `socket,id=nohead-qga,path=${qemuOptValue(inputs.sockets.guestAgent)},server=on,wait=off`,
    "-device",
    "virtserialport,bus=nohead-serial.0,chardev=nohead-qga,name=org.qemu.guest_agent.0",
    ...(inputs.privateNetwork
      ? [
          "-netdev",
          `socket,id=${PRIVATE_NETDEV_ID},mcast=${inputs.privateNetwork.group}:${inputs.privateNetwork.port},localaddr=127.0.0.1`,
          "-device",
          `virtio-net-pci,netdev=${PRIVATE_NETDEV_ID},mac=${inputs.privateNetwork.mac}`,
        ]
      : []),
    ...Object.entries(inputs.credentials).flatMap(([name, file]) => [
      "-fw_cfg",
      `name=opt/io.systemd.credentials/${name},file=${qemuOptValue(file)}`,
    ]),
    ...(inputs.display === "none" ? ["-display", "none"] : []),
    ...inputs.extraArgs,
  ];
  return { env, args };
}
