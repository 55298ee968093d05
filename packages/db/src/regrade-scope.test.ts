import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClass, createUser, joinClass } from "./accounts.ts";
import type { Database } from "./client.ts";
import { syncExercises } from "./catalog.ts";
import { claimNext, completeGrading, getSubmission, regradeExercise, submit } from "./index.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "./testing.ts";

const EX = "layer-norm";

describe.each(testProviders())("regrading one class's submissions on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "regradescope"));
    await syncExercises(db, [{ id: EX, version: "v1", order: 14, area: "implementation", title: { ja: "LN", en: "LN" }, meta: {} }]);
  });
  afterAll(async () => close());

  it("requeues only the submissions of the class's students when a class is given", async () => {
    const teacher = await createUser(db, { email: "t@r.org", displayName: "T", role: "instructor" });
    const cls = await createClass(db, { name: "K", ownerId: teacher.id });
    const inside = await createUser(db, { email: "in@r.org", displayName: "In" });
    const outside = await createUser(db, { email: "out@r.org", displayName: "Out" });
    await joinClass(db, { userId: inside.id, inviteCode: cls.inviteCode });
    const a = await submit(db, { userId: inside.id, exerciseId: EX, source: "a" });
    const b = await submit(db, { userId: outside.id, exerciseId: EX, source: "b" });
    for (;;) {
      const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
      if (job === null) break;
      await completeGrading(db, { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt }, syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "failed" }));
    }
    expect(await regradeExercise(db, EX, new Date(), { classId: cls.id })).toEqual({ requeued: 1, flagged: 0 });
    expect((await getSubmission(db, a.id)).status).toBe("queued");
    expect((await getSubmission(db, b.id)).status).toBe("done");
    expect(await regradeExercise(db, EX)).toEqual({ requeued: 1, flagged: 0 });
    expect((await getSubmission(db, b.id)).status).toBe("queued");
  });
});
