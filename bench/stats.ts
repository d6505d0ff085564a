/**
 * Summaries of repeated measurements. Machines are noisy, so benchmarks report the median (the
 * typical run), the 90th percentile (the slow tail a user notices) and the minimum (the floor the
 * code can reach), never a single run or a mean dragged by one outlier.
 */

/** A summary of samples, in the samples' unit. */
export interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * The `q`-quantile (0…1) of `samples`, interpolated linearly between the two nearest ranks.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5) // => 2.5
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error("quantile of no samples: measure at least once");
  if (!(q >= 0 && q <= 1)) throw new Error(`Expected the quantile to be between 0 and 1, got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/**
 * Median, p90, min and max of `samples`.
 *
 * @example
 * summarize([30, 10, 20]) // => { median: 20, p90: 28, min: 10, max: 30, runs: 3 }
 */
export function summarize(samples: readonly number[]): Summary {
  return {
    median: quantile(samples, 0.5),
    p90: quantile(samples, 0.9),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
  };
}

/**
 * The median of `samples`.
 *
 * @example
 * median([3, 1, 2]) // => 2
 */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}
