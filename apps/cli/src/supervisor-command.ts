/**
 * The argv that runs `nohead supervise` with this same program: `bun …/main.ts supervise` from a
 * checkout or the Nix package's wrapper, `nohead supervise` from a compiled binary (whose
 * entry is inside the executable, under Bun's virtual /$bunfs).
 */
export function supervisorCommand(): string[] {
  return Bun.main.startsWith("/$bunfs/")
    ? [process.execPath, "supervise"]
    : [process.execPath, Bun.main, "supervise"];
}
