/**
 * Worker APIs that take a Comlink progress callback must release it when the call ends: an
 * unreleased proxy keeps a MessagePort open, and with it the coordinator's process (seen as a
 * CLI that printed its result and never exited).
 */
import * as Comlink from "comlink";

/**
 * Wraps `fn(arg, onProgress)` so the proxied `onProgress` is released once `fn` settles — after
 * every progress message it sent.
 *
 * @example
 * Comlink.expose({ startVm: releasingProgress(startVm) });
 */
export function releasingProgress<A, P, R>(
  fn: (arg: A, onProgress: (progress: P) => void) => Promise<R>,
): (arg: A, onProgress: (progress: P) => void) => Promise<R> {
  return async (arg, onProgress) => {
    try {
      return await fn(arg, onProgress);
    } finally {
      await (onProgress as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]();
    }
  };
}
