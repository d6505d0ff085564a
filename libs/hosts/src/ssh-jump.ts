/**
 * Reaching a guest's SSH forward on an agent's host through that host's own SSH: a ProxyCommand
 * `ssh <sshOptions> -W %h:%p <sshTarget>` for the client's `-o ProxyCommand=…`. Not `-J`:
 * OpenSSH starts a ProxyJump's ssh without the command line's `-i`/`-p`/`-o` options, so a jump
 * that needs a port or an identity (the hosts file's `sshOptions`) could not have them.
 */

/**
 * `word` as one single-quoted shell word, with `%` doubled: OpenSSH expands `%` tokens in a
 * ProxyCommand, then runs it with the user's shell (`$SHELL -c "exec …"`).
 */
export function proxyCommandWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`).replaceAll("%", "%%")}'`;
}

/**
 * The ProxyCommand that connects to the destination (`%h:%p`, as the host sees it) through
 * `sshTarget`, with its `sshOptions`; `--` ends the options, so the target is never read as one.
 *
 * @example
 * sshJumpProxyCommand("nix@lab", ["-p", "2222"]);
 * // => "ssh '-p' '2222' -W %h:%p -- 'nix@lab'"
 */
export function sshJumpProxyCommand(sshTarget: string, sshOptions: readonly string[] = []): string {
  return ["ssh", ...sshOptions.map(proxyCommandWord), "-W", "%h:%p", "--", proxyCommandWord(sshTarget)].join(
    " ",
  );
}
