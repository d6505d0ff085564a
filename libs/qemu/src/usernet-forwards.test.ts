import { describe, expect, test } from "bun:test";
import { parseUsernetForwards } from "./usernet-forwards.ts";

describe("parseUsernetForwards", () => {
  test("reads every host forward of every netdev, as QEMU 7.2 prints them", () => {
    // Captured from qemu-system-x86_64 7.2 with two user netdevs (one with an empty host address).
    const text =
      "Hub -1 (n0):\r\n" +
      "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n" +
      "  TCP[HOST_FORWARD]   8               * 35647       10.0.2.15    22     0     0\r\n" +
      "  UDP[HOST_FORWARD]   7       127.0.0.1 39082       10.0.2.15    53     0     0\r\n" +
      "Hub -1 (n1):\r\n" +
      "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n" +
      "  TCP[HOST_FORWARD]   9       127.0.0.1 41603       10.0.2.15    23     0     0\r\n";
    expect(parseUsernetForwards(text)).toEqual([
      {
        protocol: "tcp",
        hostAddress: "0.0.0.0",
        hostPort: 35647,
        guestAddress: "10.0.2.15",
        guestPort: 22,
        netdev: "n0",
      },
      {
        protocol: "udp",
        hostAddress: "127.0.0.1",
        hostPort: 39082,
        guestAddress: "10.0.2.15",
        guestPort: 53,
        netdev: "n0",
      },
      {
        protocol: "tcp",
        hostAddress: "127.0.0.1",
        hostPort: 41603,
        guestAddress: "10.0.2.15",
        guestPort: 23,
        netdev: "n1",
      },
    ]);
  });

  test("skips live connections and headers, and works without a hub header or CR", () => {
    const text = [
      "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ",
      "  TCP[ESTABLISHED]   20       10.0.2.15 51000  93.184.216.34   443     0     0",
      "  TCP[HOST_FORWARD]  13       127.0.0.1 40123       10.0.2.15    22     0     0",
      "",
    ].join("\n");
    expect(parseUsernetForwards(text)).toEqual([
      {
        protocol: "tcp",
        hostAddress: "127.0.0.1",
        hostPort: 40123,
        guestAddress: "10.0.2.15",
        guestPort: 22,
        netdev: null,
      },
    ]);
  });

  test("no user-mode network gives no forwards", () => {
    expect(parseUsernetForwards("")).toEqual([]);
  });
});
