import { describe, expect, it } from "vitest";
import { auditLockdownPlan, lockdownPlanOnce, lockdownPlanStatus, recordLockdownPlan } from "./sandbox.ts";

/** The plan without object `drop` (and what is reached through it, renumbered), as a wrong plan would be. */
function without(plan: { keys: string; ops: Int32Array }, drop: number): { keys: string; ops: Int32Array } {
  const n = plan.ops.length / 4;
  const gone = new Set<number>([drop]);
  const index = new Map<number, number>();
  const ops: number[] = [];
  for (let i = 0; i < n; i++) {
    const [via, from, k, action] = [plan.ops[4 * i], plan.ops[4 * i + 1], plan.ops[4 * i + 2], plan.ops[4 * i + 3]] as number[];
    if (gone.has(i) || (via !== 0 && gone.has(from as number))) {
      gone.add(i);
      continue;
    }
    index.set(i, ops.length / 4);
    ops.push(via as number, via === 0 ? (from as number) : (index.get(from as number) as number), k as number, action as number);
  }
  return { keys: plan.keys, ops: Int32Array.from(ops) };
}

describe("lockdown's recorded plan (sandbox.ts, lockdownPlan)", () => {
  it("is recorded once per process, passes its audit and covers the intrinsics", async () => {
    const plan = await lockdownPlanOnce();
    expect(plan).not.toBeNull();
    expect(lockdownPlanStatus()).toMatchObject({ audit: "passed", mismatches: [] });
    expect(lockdownPlanStatus()?.objects).toBeGreaterThan(400);
    expect(await lockdownPlanOnce()).toBe(plan);
  });

  it("the audit finds what a plan leaves out: a prototype, a namespace, a constructor", async () => {
    const plan = await recordLockdownPlan();
    const keys = plan.keys.split("\0");
    const n = plan.ops.length / 4;
    const find = (key: string) => {
      for (let i = 0; i < n; i++) if (plan.ops[4 * i] === 1 && keys[plan.ops[4 * i + 2] as number] === key) return i;
      throw new Error(`no object reached through '${key}' in the plan`);
    };
    for (const i of [n - 1, find("DateTimeFormat"), find("prototype")]) {
      const audited = await auditLockdownPlan(without(plan, i));
      expect(audited.replayed).toBe(true);
      expect(audited.mismatches.length, `dropping object ${i}`).toBeGreaterThan(0);
    }
  });

  it("a plan that does not fit the isolate is not replayed (and so not used)", async () => {
    const plan = await recordLockdownPlan();
    const keys = plan.keys.split("\0");
    const renamed = { keys: keys.map((k) => (k === "prototype" ? "prototypeX" : k)).join("\0"), ops: plan.ops };
    const audited = await auditLockdownPlan(renamed);
    expect(audited.replayed).toBe(false);
    expect(audited.mismatches.length).toBeGreaterThan(0);
  });
});
