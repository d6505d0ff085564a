/**
 * Test helpers that catch what a call throws, so tests can assert every field of the error
 * (bun's `expect(p).rejects` can deadlock on worker-settled promises; see docs/architecture.md, platform facts).
 */
import { NoheadError } from "../errors.ts";

/** The NoheadError `fn` throws; fails when it returns or throws anything else. */
export function noheadErrorOf(fn: () => unknown): NoheadError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NoheadError) return error;
    throw error;
  }
  throw new Error("expected a NoheadError");
}

/** What `promise` rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a value");
}
