/**
 * A login name on the guest, as POSIX and shadow-utils' default rule allow: a lowercase letter or
 * `_`, then up to 31 lowercase letters, digits, `_` or `-` (what nix/lib/strings.nix `isUserName`
 * accepts). It never starts with `-`, so it can never read as an option where it lands in an
 * argv (`ssh … user@host`), and it holds no `@`, `%`, quote or space. Plain data (no zod), so the
 * fast paths' state check uses the same rule as the schema.
 */
export const USER_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
