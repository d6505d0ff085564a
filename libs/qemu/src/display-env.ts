/**
 * The environment through which a windowed QEMU finds a display: it must be the display of the
 * command that asked for the window, never that of the process launching QEMU — the project's
 * supervisor is started by whichever command came first (from another terminal, over SSH, from
 * a script without a display) and keeps that command's environment for its whole life.
 */

/** The variables a window needs: X11's display and authority file, Wayland's socket. */
export const DISPLAY_VARIABLES = ["DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY"] as const;

/** The asking command's display variables (the set ones only). */
export type DisplayEnv = Partial<Record<(typeof DISPLAY_VARIABLES)[number], string>>;

/**
 * The display variables of `env` that are set and not empty.
 *
 * @example
 * displayEnvOf({ DISPLAY: ":0", WAYLAND_DISPLAY: "", HOME: "/home/me" }) // { DISPLAY: ":0" }
 */
export function displayEnvOf(env: Record<string, string | undefined>): DisplayEnv {
  const picked: DisplayEnv = {};
  for (const name of DISPLAY_VARIABLES) {
    const value = env[name];
    if (value) picked[name] = value;
  }
  return picked;
}

/** `env` without any display variable (what a launched QEMU inherits from this process). */
export function withoutDisplay(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const rest = { ...env };
  for (const name of DISPLAY_VARIABLES) delete rest[name];
  return rest;
}
