/** One line of `nohead doctor`: what was checked, how it went, and how to fix it. */

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  /** Short name of what was checked ("kvm", "qemu", "host lab", …). */
  name: string;
  /** ok: fine; warn: works, but worse or not everywhere; fail: nohead will not work until fixed. */
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do (null when ok). */
  fix: string | null;
}

export const ok = (name: string, detail: string): DoctorCheck => ({ name, status: "ok", detail, fix: null });
export const warn = (name: string, detail: string, fix: string): DoctorCheck => ({
  name,
  status: "warn",
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): DoctorCheck => ({
  name,
  status: "fail",
  detail,
  fix,
});
