/**
 * The extra QEMU arguments an agent accepts with `--allow-qemu-args`: a short list of options
 * that only size or tune the guest, each with the exact shape of its argument. Everything else
 * is refused — monitors, QMP, character devices, serial ports, drives, migration, fw_cfg,
 * objects, devices with properties: each of those reaches host files or runs commands as the
 * agent's user (`-monitor` then `migrate "exec:…"` is a shell).
 */

/** Accepted options: the option, and the pattern of its argument (null: it takes none). */
export const ALLOWED_QEMU_OPTIONS: Readonly<Record<string, RegExp | null>> = {
  /** Guest memory: `-m 2048`, `-m 4G`, `-m size=4G`. */
  "-m": /^(size=)?\d{1,7}[MG]?$/,
  /** Virtual CPUs and topology: `-smp 4`, `-smp cpus=4,cores=2,threads=2`. */
  "-smp": /^((cpus=)?\d{1,4})(,(cpus|cores|threads|sockets|dies|maxcpus)=\d{1,4})*$/,
  /** CPU model and feature flags: `-cpu host`, `-cpu max,+avx2,-svm`. */
  "-cpu": /^[A-Za-z0-9_.-]{1,64}(,[+-]?[A-Za-z0-9_.-]{1,64}(=(on|off|true|false|\d{1,8}))?)*$/,
  /** Accelerator: `-accel kvm`, `-accel tcg,thread=multi`. */
  "-accel": /^(kvm|tcg)(,(thread=(single|multi)|tb-size=\d{1,6}))*$/,
  "-enable-kvm": null,
  /** Discard disk writes at exit (writes go to a temporary file). */
  "-snapshot": null,
  /** Guest clock: `-rtc base=localtime`. */
  "-rtc": /^base=(utc|localtime)(,clock=(host|rt|vm))?(,driftfix=(none|slew))?$/,
  /** A few devices by model alone, with no properties: entropy and memory ballooning. */
  "-device": /^(virtio-rng-pci|virtio-balloon-pci)$/,
};

/**
 * Why `args` are not acceptable extra QEMU arguments, one entry per bad argument (`index`,
 * `message`) up to the first unknown option; empty when they are.
 *
 * @example
 * qemuArgsProblems(["-m", "4G", "-smp", "4"]) // => []
 * qemuArgsProblems(["-monitor", "unix:/tmp/m,server"]) // => [{ index: 0, message: "-monitor is not …" }]
 */
export function qemuArgsProblems(args: string[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  const allowed = Object.keys(ALLOWED_QEMU_OPTIONS).join(", ");
  for (let i = 0; i < args.length; i++) {
    const option = args[i] ?? "";
    if (!Object.hasOwn(ALLOWED_QEMU_OPTIONS, option)) {
      problems.push({
        index: i,
        message: `${JSON.stringify(option)} is not an accepted QEMU option (accepted: ${allowed}); other options can reach host files or run commands`,
      });
      // What follows may be its argument: nothing after an unknown option can be read safely.
      break;
    }
    const pattern = ALLOWED_QEMU_OPTIONS[option];
    if (!pattern) continue;
    const value = args[i + 1];
    if (value === undefined || !pattern.test(value)) {
      problems.push({
        index: i + 1,
        message: `${option} takes an argument matching ${pattern.source}, got ${JSON.stringify(value ?? null)}`,
      });
    }
    i++;
  }
  return problems;
}
