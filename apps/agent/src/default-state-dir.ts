/** Where the agent keeps VM state and the machines it was given, unless told otherwise. */
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * `$XDG_STATE_HOME/nohead/agent`, else `~/.local/state/nohead/agent`.
 *
 * @example
 * defaultAgentStateDir({ HOME: "/home/ann" }) // => "/home/ann/.local/state/nohead/agent"
 */
export function defaultAgentStateDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state"), "nohead", "agent");
}
