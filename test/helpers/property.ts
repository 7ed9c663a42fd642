/**
 * Property-based tests, one way for every suite: fast-check with a fixed seed (CI replays the same
 * cases every run), a case count per property, and a one-line tally per property so a run shows
 * how many cases each generated.
 *
 * FC_SEED replays another seed (a failure prints the seed and path to replay it); FC_RUNS_SCALE
 * multiplies every case count, for a longer local hunt (`FC_RUNS_SCALE=20 npx jest test/unit/...`).
 */
import fc from 'fast-check';

/** The seed every property runs with unless FC_SEED says otherwise. */
export const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261130;

const SCALE = process.env.FC_RUNS_SCALE !== undefined ? Number(process.env.FC_RUNS_SCALE) : 1;

/** Parameters for `fc.assert`: the seed, and `numRuns` scaled by FC_RUNS_SCALE. */
export function params(numRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)) };
}

/**
 * Runs a property and prints `[property] NAME: N cases (seed S)`. Throws fast-check's report
 * (counterexample, seed and path) when the property fails.
 */
export async function checkProperty<T>(name: string, property: fc.IProperty<T> | fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  const p = params(numRuns);
  const details = await fc.check(property as fc.IAsyncProperty<T>, p);
  if (details.failed) {
    throw new Error(`${name}: ${fc.defaultReportMessage(details)}`);
  }
  console.log(`[property] ${name}: ${details.numRuns} cases (seed ${p.seed})`);
}
