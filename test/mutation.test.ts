/**
 * CI's share of mutation testing (issue 14): a seeded sample of each model solution's mutants is
 * graded by the real grading pool (worker processes, sandbox, full test set) and the exercise fails
 * below the floor. The full run is `npm run mutate` (every mutant of every exercise). The pool is
 * this file's own, not the shared HTTP service, so that the service's per-client limits do not
 * apply to a few hundred gradings in a row.
 */
import { loadCatalog } from "@tfm/grader/catalog";
import { MUTATION_FLOOR, formatScores, mutantsOf, readEquivalents, runMutation } from "@tfm/grader/mutate/engine";
import { GraderPool } from "@tfm/grader/pool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const catalog = loadCatalog();
/** Mutants per exercise in CI: 12 x 23 gradings, about 1.5 minutes on 2 cores (measured with other load). */
const SAMPLE = 12;
const SAMPLE_SEED = 14;
const pool = new GraderPool({ size: 2, catalog, queueLimit: 10_000 });

beforeAll(async () => {
  await pool.start();
});
afterAll(async () => {
  await pool.close();
});

describe.each([...catalog.exercises.keys()])("mutation testing of %s", (id) => {
  const entry = catalog.exercises.get(id);
  if (entry === undefined) throw new Error(id);

  it("lists as equivalent only mutants the engine generates (no stale entries)", () => {
    const generated = new Set(mutantsOf(entry).map((m) => m.id));
    const stale = Object.keys(readEquivalents(entry)).filter((k) => !generated.has(k));
    expect(stale).toEqual([]);
  });

  it(`kills at least ${MUTATION_FLOOR * 100}% of a seeded sample of non-equivalent mutants`, async () => {
    const [score] = await runMutation({ catalog, grade: (r) => pool.grade(r), exerciseIds: [id], sample: SAMPLE, sampleSeed: SAMPLE_SEED, concurrency: 4 });
    if (score === undefined) throw new Error("no score");
    expect(score.baselineVerdict, formatScores([score])).toBeUndefined();
    expect(score.graderErrors, formatScores([score])).toBe(0);
    expect(score.staleEquivalents, formatScores([score])).toEqual([]);
    expect(score.score, formatScores([score])).toBeGreaterThanOrEqual(MUTATION_FLOOR);
  });
});
