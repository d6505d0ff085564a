/**
 * Host port checks before a VM starts: a fixed port already taken fails that VM with a message
 * naming the VM, the port and the fix, instead of a QEMU error after the fact.
 */
import { createServer } from "node:net";
import { type Forward, NoheadError } from "@nohead/schema";

/** Whether `address:port` can be bound right now (TCP). */
export function isPortFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a `conflict` error for the first fixed TCP forward whose host port is taken. */
export async function assertHostPortsFree(machine: string, forwards: Forward[]): Promise<void> {
  for (const f of forwards) {
    if (f.hostPort === null || f.protocol !== "tcp") continue;
    if (await isPortFree(f.hostAddress, f.hostPort)) continue;
    const option = f.name === "ssh" ? "firstHostSshPort" : `the hostPort of forward "${f.name}"`;
    throw new NoheadError("conflict", `host port ${f.hostPort} (${f.name}) is in use by another process`, {
      machine,
      hint: `stop what uses ${f.hostAddress}:${f.hostPort}, or pick another ${option} or set it to null (allocated at run time)`,
    });
  }
}
