import { expect, test } from "bun:test";
import { listeningPorts } from "./listening-ports.ts";

// Captured from a fixture guest (dropbear on 22, httpd on 8080, one established SSH session) and
// an IPv6 table with a listener on 5432.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0016 0202000A:D2F0 01 00000000:00000000 02:000A7C8B 00000000     0        0 1236 4 0000000000000000 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    70        0 99 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 98 1 0000000000000000 100 0 0 10 0
`;

test("lists the ports in state LISTEN from IPv4 and IPv6 tables, once each, sorted", () => {
  expect(listeningPorts(TCP)).toEqual([22, 5432, 8080]);
});

test("an established connection's port is not listening", () => {
  expect(listeningPorts(TCP.split("\n").slice(3, 4).join("\n"))).toEqual([]);
  expect(listeningPorts("")).toEqual([]);
});
