/**
 * The names the guest (nix/modules) and the host runtime agree on, defined once for TypeScript.
 * nix/modules/guest-contract.nix holds the same values for the NixOS modules, and
 * guest-contract.test.ts fails when the two differ. Plain constants, no schema library: the VM
 * workers import them.
 */
export const GUEST_CONTRACT = {
  /** systemd unit that runs init.script once per boot (no-headache's name). */
  initService: "script-at-boot",
  /** Log of the init unit, in the user's home directory. */
  initLogFile: "script-at-boot.log",
  /** `started` while init.script runs, `exited <code>` once it ended; read through the guest agent. */
  initStatusFile: "/run/nohead/init-status",
  /** systemd credential holding authorized_keys lines for the machine's user. */
  sshAuthorizedKeysCredential: "nohead.ssh-authorized-keys",
  /** Where the guest installs those keys (read by sshd as AuthorizedKeysFile). */
  sshAuthorizedKeysDir: "/run/nohead/ssh-authorized-keys",
  /** systemd credential holding the Tailscale auth key. */
  tailscaleAuthKeyCredential: "tailscale-authkey",
  /** Name the private NIC gets in the guest. */
  privateInterface: "nohead0",
  /** Kernel parameter with the instance's private address, `<ipv4>/<prefix length>`. */
  privateAddressParameter: "nohead.address",
  /** Kernel parameter with the MAC of the private NIC the runtime adds. */
  privateMacParameter: "nohead.mac",
  /** `export MACHINE_*=…` lines for login shells, written at boot from the runtime's values. */
  machineEnvFile: "/run/nohead/machine-env",
} as const;

/** The guest's init status file (`started`, `exited 0`, …). */
export const INIT_STATUS_FILE = GUEST_CONTRACT.initStatusFile;
