/**
 * The machines an agent was given (`<stateDir>/manifest.json`), merged by name: the agent keeps
 * them on disk so that, once restarted, it can restart and re-adopt the VMs it runs. Written
 * atomically; a corrupt file is moved aside rather than trusted.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest, type ManifestMachine } from "@nohead/schema";

/** The saved manifest's file name in the agent's state dir. */
export const SAVED_MANIFEST_FILE = "manifest.json";

const EMPTY: Manifest = { schemaVersion: 1, network: { subnet: "unknown" }, machines: [], images: [] };

export class MachineStore {
  private current: Manifest;
  readonly file: string;
  /** Set when the saved file was unreadable and moved aside at load. */
  readonly recovered: string | null = null;

  /**
   * Loads the machines saved in `stateDir` (none when there is no file yet).
   *
   * @example
   * const store = new MachineStore("/var/lib/nohead-agent");
   * store.merge([machine]);        // saved, replacing any machine of the same name
   * store.manifest.machines;       // [machine]
   */
  constructor(readonly stateDir: string) {
    this.file = join(stateDir, SAVED_MANIFEST_FILE);
    this.current = EMPTY;
    if (!existsSync(this.file)) return;
    try {
      this.current = Manifest.parse(JSON.parse(readFileSync(this.file, "utf8")));
    } catch (error) {
      const movedTo = `${this.file}.corrupt-${Date.now()}`;
      renameSync(this.file, movedTo);
      this.recovered = `${this.file} was unreadable (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); moved to ${movedTo}`;
    }
  }

  /** The saved machines as a manifest (what the agent's Fleet runs from). */
  get manifest(): Manifest {
    return this.current;
  }

  /** Adds `machines`, replacing saved ones of the same name, and writes the file. */
  merge(machines: ManifestMachine[], network?: { subnet: string }): Manifest {
    const incoming = new Set(machines.map((m) => m.name));
    this.save({
      ...this.current,
      network: network ?? this.current.network,
      machines: [...this.current.machines.filter((m) => !incoming.has(m.name)), ...machines].sort((a, b) =>
        a.name.localeCompare(b.name),
      ),
    });
    return this.current;
  }

  /** Forgets machine `name` (after a destroy). */
  forget(name: string): void {
    if (!this.current.machines.some((m) => m.name === name)) return;
    this.save({ ...this.current, machines: this.current.machines.filter((m) => m.name !== name) });
  }

  private save(manifest: Manifest): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Manifest.parse(manifest), null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.current = manifest;
  }
}
