/**
 * The agent's `--listen host:port`: parsed, checked, and classified as loopback or not, because
 * a token sent in clear over a network can be read by anyone on it: a non-loopback address needs
 * TLS unless the user says `--insecure`.
 */
import { isIP } from "node:net";
import { NoheadError } from "@nohead/schema";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/**
 * Parses `127.0.0.1:7420`, `[::1]:7420`, `0.0.0.0:7420` or `localhost:7420` (port 0 = any free).
 *
 * @example
 * parseListen("127.0.0.1:7420") // => { hostname: "127.0.0.1", port: 7420 }
 */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const hostname = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !hostname || port > 65535 || (isIP(hostname) === 0 && !/^[A-Za-z0-9.-]+$/.test(hostname))) {
    throw new NoheadError("usage", `--listen expects host:port, got "${value}"`, {
      hint: "e.g. --listen 127.0.0.1:7420, or --listen [::1]:7420",
    });
  }
  return { hostname, port };
}

/** Whether `hostname` is a loopback address (only this machine can connect). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Refuses a network-reachable address without TLS unless `insecure`. */
export function checkListenSecurity(
  address: ListenAddress,
  { tls, insecure }: { tls: boolean; insecure: boolean },
) {
  if (isLoopback(address.hostname) || tls || insecure) return;
  throw new NoheadError(
    "usage",
    `refusing to listen on ${address.hostname}:${address.port} without TLS: the token would cross the network in clear`,
    {
      hint: "pass --tls-cert and --tls-key, listen on 127.0.0.1 (and tunnel with ssh -L), or pass --insecure on a trusted network",
    },
  );
}
