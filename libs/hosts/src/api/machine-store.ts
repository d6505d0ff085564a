/**
 * The machines an agent was given (`<stateDir>/manifest.json`), merged by name: the agent keeps
 * them on disk so that, once restarted, it can restart and re-adopt the VMs it runs. Written
 * atomically; a corrupt file is moved aside rather than trusted. Beside them, the SSH public keys
 * each machine's last start request authorized (`authorized-keys.json`), so a restart keeps them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest, type ManifestMachine } from "@nohead/schema";
import { z } from "zod";
import { OpenSshPublicKey } from "./agent-api.ts";

/** The saved manifest's file name in the agent's state dir. */
export const SAVED_MANIFEST_FILE = "manifest.json";
/** The saved client keys' file name in the agent's state dir. */
export const SAVED_KEYS_FILE = "authorized-keys.json";

const SavedKeys = z.record(z.string(), z.array(OpenSshPublicKey));
type SavedKeys = z.infer<typeof SavedKeys>;

const EMPTY: Manifest = { schemaVersion: 1, network: { subnet: "unknown" }, machines: [], images: [] };

/** The saved client keys; unreadable ones are dropped (the guests then authorize the agent's key only). */
function readSavedKeys(file: string): SavedKeys {
  try {
    const parsed = SavedKeys.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export class MachineStore {
  private current: Manifest;
  private keys: SavedKeys = {};
  readonly file: string;
  readonly keysFile: string;
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
    this.keysFile = join(stateDir, SAVED_KEYS_FILE);
    this.current = EMPTY;
    this.keys = readSavedKeys(this.keysFile);
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

  /** The client keys the last start request of `name` authorized (empty when none). */
  authorizedKeysOf(name: string): string[] {
    return this.keys[name] ?? [];
  }

  /**
   * Adds `machines`, replacing saved ones of the same name, and writes the file; their authorized
   * client keys become `authorizedKeys`.
   */
  merge(machines: ManifestMachine[], network?: { subnet: string }, authorizedKeys: string[] = []): Manifest {
    const incoming = new Set(machines.map((m) => m.name));
    const keys = { ...this.keys };
    for (const name of incoming) {
      if (authorizedKeys.length > 0) keys[name] = authorizedKeys;
      else delete keys[name];
    }
    this.saveKeys(keys);
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
    const { [name]: _, ...rest } = this.keys;
    this.saveKeys(rest);
    if (!this.current.machines.some((m) => m.name === name)) return;
    this.save({ ...this.current, machines: this.current.machines.filter((m) => m.name !== name) });
  }

  /** Writes the keys (nothing when they did not change: a project without clients has no file). */
  private saveKeys(keys: SavedKeys): void {
    if (JSON.stringify(keys) === JSON.stringify(this.keys)) return;
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.keysFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(SavedKeys.parse(keys), null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.keysFile);
    this.keys = keys;
  }

  private save(manifest: Manifest): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Manifest.parse(manifest), null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.current = manifest;
  }
}
