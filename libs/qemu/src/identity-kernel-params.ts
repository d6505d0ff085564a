/**
 * An instance's identity as kernel parameters (Contract 2, appended through QEMU_KERNEL_PARAMS):
 * one system and one runner serve every instance of a machine type, so the runtime tells each
 * instance who it is when it starts. nix/modules/runtime-identity.nix and private-network.nix
 * apply them in a NixOS guest; the fixture guest (tests/fixture/guest/init) honours the same ones.
 */
import { type ManifestMachine, NoheadError } from "@nohead/schema";
import { GUEST_CONTRACT } from "@nohead/schema/guest-contract";

/** What identifies one instance: a manifest machine's identity fields. */
export type InstanceIdentity = Pick<ManifestMachine, "name" | "baseName" | "index" | "network">;

/** One kernel parameter: no blank, quote, backslash or shell character can split or extend it. */
const SAFE_PARAMETER = /^[A-Za-z0-9._:=/-]+$/;

/**
 * The most bytes the identity may take on the kernel command line. x86's kernel keeps at most
 * 2048 bytes of it (COMMAND_LINE_SIZE) and cuts the rest silently; the runner's own part comes
 * first (the system's `kernel-params`, `init=`, `regInfo=`, the consoles: a few hundred bytes,
 * more with `boot.kernelParams`), and the identity is last, so it would be what is lost. A valid
 * manifest's identity is at most ~420 bytes (names are at most 63 characters).
 */
export const IDENTITY_PARAMS_MAX_BYTES = 512;

/**
 * The kernel parameters that give `machine` its identity:
 * `systemd.hostname=` (systemd accepts letters, digits and `-` only, so `_` is dropped, as systemd
 * itself drops it from /etc/hostname), `systemd.setenv=` for each MACHINE_* variable, and with
 * `privateNetwork` the private address and MAC (`nohead.address=`, `nohead.mac=`).
 *
 * @example
 * identityKernelParams({ name: "web-2", baseName: "web", index: 2, network: null }, false)
 * // => ["systemd.hostname=web-2", "systemd.setenv=MACHINE_NAME=web-2",
 * //     "systemd.setenv=MACHINE_BASE_NAME=web", "systemd.setenv=MACHINE_INDEX=2",
 * //     "systemd.setenv=MACHINE_TYPE=virtual"]
 */
export function identityKernelParams(machine: InstanceIdentity, privateNetwork: boolean): string[] {
  const { name, baseName, index, network } = machine;
  const params = [
    `systemd.hostname=${name.replaceAll("_", "")}`,
    `systemd.setenv=MACHINE_NAME=${name}`,
    `systemd.setenv=MACHINE_BASE_NAME=${baseName}`,
    `systemd.setenv=MACHINE_INDEX=${index}`,
    "systemd.setenv=MACHINE_TYPE=virtual",
    ...(privateNetwork && network
      ? [
          `${GUEST_CONTRACT.privateAddressParameter}=${network.address}/${network.prefixLength}`,
          `${GUEST_CONTRACT.privateMacParameter}=${network.mac}`,
        ]
      : []),
  ];
  const unsafe = params.find((param) => !SAFE_PARAMETER.test(param));
  if (unsafe !== undefined) {
    throw new NoheadError("config", `its identity cannot be a kernel parameter: ${JSON.stringify(unsafe)}`, {
      machine: name,
      hint: "machine names are letters, digits, '-' and '_' (the manifest's schema); rebuild with nohead build",
    });
  }
  const bytes = Buffer.byteLength(params.join(" "));
  if (bytes > IDENTITY_PARAMS_MAX_BYTES) {
    throw new NoheadError(
      "config",
      `its identity takes ${bytes} bytes of the kernel command line, over the ${IDENTITY_PARAMS_MAX_BYTES} it may (the kernel cuts the line at 2048)`,
      { machine: name, hint: "use shorter machine names (at most 63 characters); rebuild with nohead build" },
    );
  }
  return params;
}
