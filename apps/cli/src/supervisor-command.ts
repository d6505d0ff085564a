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

/** The argv that runs `nohead agent serve` with this same program (a Slurm host's pilot jobs). */
export function agentServeCommand(): string[] {
  return [...supervisorCommand().slice(0, -1), "agent", "serve"];
}
