/**
 * Nix's own store path signatures, checked without Nix: a signature is Ed25519 over the path's
 * fingerprint `1;<path>;<narHash in Nix base32>;<narSize>;<references>` with a key named like
 * `cache.example.org-1:<base64 public key>` (the format of `nix key convert-secret-to-public` and
 * nix.conf's `trusted-public-keys`). Checked here rather than by `nix store verify`, which counts
 * every content-addressed path as trusted — and any local user can add one.
 */
import { createPublicKey, verify } from "node:crypto";

/** What the agent needs of a store path's metadata (as `nix path-info --json --sigs` prints it). */
export interface SignedPathInfo {
  path: string;
  /** `sha256-<base64>` (SRI) or `sha256:<nix base32>`. */
  narHash: string;
  narSize: number;
  references: string[];
  signatures?: string[];
}

/** A trusted key: its name and the raw 32-byte Ed25519 public key. */
export interface TrustedKey {
  name: string;
  key: Buffer;
}

const NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";

/** Nix's base32 (its own alphabet and bit order), as in the store's hashes. */
export function nixBase32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = "";
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const c = ((bytes[i] ?? 0) >> j) | (i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0);
    out += NIX_BASE32[c & 0x1f];
  }
  return out;
}

/** `narHash` as Nix puts it in a fingerprint: `sha256:<nix base32>`. */
function fingerprintHash(narHash: string): string {
  if (narHash.startsWith("sha256:")) return narHash;
  if (!narHash.startsWith("sha256-")) throw new Error(`unexpected narHash ${narHash}`);
  return `sha256:${nixBase32(Buffer.from(narHash.slice("sha256-".length), "base64"))}`;
}

/** The text a store path's signature signs. */
export function pathFingerprint(info: SignedPathInfo): string {
  return `1;${info.path};${fingerprintHash(info.narHash)};${info.narSize};${[...info.references].sort().join(",")}`;
}

/**
 * Parses a `name:base64` Ed25519 public key; throws naming the problem.
 *
 * @example
 * parseTrustedKey("cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=")
 */
export function parseTrustedKey(text: string): TrustedKey {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon);
  const key = Buffer.from(text.slice(colon + 1), "base64");
  if (colon < 1 || key.length !== 32) {
    throw new Error(
      `a trusted public key must be "name:<base64 of 32 bytes>" as \`nix key convert-secret-to-public\` prints it, got ${JSON.stringify(text)}`,
    );
  }
  return { name, key };
}

/** Whether one of `info`'s signatures is valid for one of `keys`. */
export function hasTrustedSignature(info: SignedPathInfo, keys: TrustedKey[]): boolean {
  const fingerprint = Buffer.from(pathFingerprint(info));
  return (info.signatures ?? []).some((signature) => {
    const colon = signature.indexOf(":");
    const key = keys.find((k) => k.name === signature.slice(0, colon));
    if (!key) return false;
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: key.key.toString("base64url") },
      format: "jwk",
    });
    try {
      return verify(null, fingerprint, publicKey, Buffer.from(signature.slice(colon + 1), "base64"));
    } catch {
      return false;
    }
  });
}
