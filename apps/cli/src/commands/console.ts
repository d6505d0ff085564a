/**
 * `nohead console <vm>`: attach the terminal to the VM's serial console (a Unix socket QEMU
 * serves). Detach with Ctrl-] (the VM keeps running), like telnet.
 */
import { connect } from "node:net";
import { assertOwnedSocket } from "@nohead/qemu";
import { NoheadError } from "@nohead/schema";
import { vmPaths, vmStatus } from "@nohead/supervisor";
import { openFleet } from "../open-fleet.ts";
import type { GlobalOptions } from "../program.ts";

const DETACH = 0x1d; // Ctrl-]

export async function run([name]: unknown[], globals: GlobalOptions): Promise<number> {
  const fleet = openFleet(globals);
  const [vm] = fleet.resolveNames([name as string]);
  if (vmStatus(fleet.project, vm as string).condition !== "running") {
    throw new NoheadError("conflict", "is not running", { machine: vm, hint: `nohead run ${vm}` });
  }
  const path = vmPaths(fleet.project, vm as string).console;
  assertOwnedSocket(path, `the console socket of ${vm}`);
  const socket = connect(path);
  process.stderr.write(`connected to ${vm}'s console; detach with Ctrl-]\r\n`);
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  return new Promise((resolve) => {
    const end = (code: number) => {
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      socket.destroy();
      process.stderr.write("\r\ndetached\r\n");
      resolve(code);
    };
    stdin.on("data", (chunk: Buffer) => {
      const detachAt = chunk.indexOf(DETACH);
      if (detachAt >= 0) {
        if (detachAt > 0) socket.write(chunk.subarray(0, detachAt));
        end(0);
      } else socket.write(chunk);
    });
    socket.on("data", (chunk) => process.stdout.write(chunk));
    socket.on("error", (error) => {
      process.stderr.write(`console: ${error.message}\r\n`);
      end(1);
    });
    socket.on("close", () => end(0));
  });
}
