import { describe, expect, test } from "bun:test";
import { NoheadError } from "@nohead/schema";
import { checkListenSecurity, isLoopback, parseListen } from "./listen-address.ts";

describe("listen addresses", () => {
  test("parse host:port, bracketed IPv6 and host names", () => {
    expect(parseListen("127.0.0.1:7420")).toEqual({ hostname: "127.0.0.1", port: 7420 });
    expect(parseListen("[::1]:0")).toEqual({ hostname: "::1", port: 0 });
    expect(parseListen("0.0.0.0:80")).toEqual({ hostname: "0.0.0.0", port: 80 });
    expect(parseListen("localhost:9")).toEqual({ hostname: "localhost", port: 9 });
  });

  test("reject what is not host:port, saying what was given", () => {
    for (const bad of ["7420", "127.0.0.1", "127.0.0.1:99999", "::1:7420", "a b:1", ""]) {
      let error: unknown;
      try {
        parseListen(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NoheadError);
      expect((error as NoheadError).kind).toBe("usage");
      expect((error as NoheadError).message).toBe(`--listen expects host:port, got "${bad}"`);
    }
  });

  test("loopback is 127.0.0.0/8, ::1 and localhost only", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "lab.example.org"].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test("a network address needs TLS or --insecure", () => {
    const lan = { hostname: "0.0.0.0", port: 7420 };
    let error: unknown;
    try {
      checkListenSecurity(lan, { tls: false, insecure: false });
    } catch (e) {
      error = e;
    }
    expect((error as NoheadError).kind).toBe("usage");
    expect((error as NoheadError).message).toBe(
      "refusing to listen on 0.0.0.0:7420 without TLS: the token would cross the network in clear",
    );
    expect(() => checkListenSecurity(lan, { tls: true, insecure: false })).not.toThrow();
    expect(() => checkListenSecurity(lan, { tls: false, insecure: true })).not.toThrow();
    expect(() =>
      checkListenSecurity({ hostname: "127.0.0.1", port: 1 }, { tls: false, insecure: false }),
    ).not.toThrow();
  });
});
