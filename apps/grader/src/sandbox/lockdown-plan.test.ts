import { describe, expect, it } from "vitest";
import { transpile } from "../transpile.ts";
import { type BootKey, Sandbox, auditKitLockdownPlan, auditLockdownPlan, kitPlanStatus, lockdownPlanOnce, lockdownPlanStatus, recordKitLockdownPlan, recordKitPlan, recordLockdownPlan } from "./sandbox.ts";
import { fromValues } from "./test-helpers.ts";

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

describe("the student kit's recorded plan (sandbox.ts, recordKitPlan)", () => {
  // stable-softmax withholds six entries (each gets a stub), SDPA none: two different kit graphs.
  const STABLE: BootKey = { memoryMb: 128, withheld: ["torch.softmax", "F.softmax", "Tensor.softmax", "torch.logSoftmax", "F.logSoftmax", "Tensor.logSoftmax"], consoleBytes: 1_000, resultBytes: 1_000_000 };
  const PLAIN: BootKey = { memoryMb: 128, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000 };

  it("is recorded once per withheld list, passes its audit, and is then used by every isolate of those options", async () => {
    expect(kitPlanStatus(STABLE)).not.toBe("failed");
    const first = recordKitPlan(STABLE);
    expect(recordKitPlan(STABLE)).toBe(first);
    expect(await first).toBe(true);
    expect(kitPlanStatus(STABLE)).toBe("passed");
    const plan = await recordKitLockdownPlan(STABLE);
    expect(plan.ops.length / 4).toBeGreaterThan(100);
  });

  it("an isolate booted before the plan is ready walks the kit, and asks for the plan", async () => {
    const key: BootKey = { ...PLAIN, withheld: ["nn.init.calculateGain"] };
    expect(kitPlanStatus(key)).toBeNull();
    const sb = await Sandbox.create({ ...key, seed: 1 });
    try {
      expect(sb.lockdownReplayed()).toEqual({ intrinsics: true, kit: false });
    } finally {
      sb.dispose();
    }
    await new Promise((r) => setImmediate(r));
    expect(kitPlanStatus(key)).not.toBeNull();
    expect(await recordKitPlan(key)).toBe(true);
    const later = await Sandbox.create({ ...key, seed: 2 });
    try {
      expect(later.lockdownReplayed()).toEqual({ intrinsics: true, kit: true });
    } finally {
      later.dispose();
    }
  });

  it("the audit finds what a kit plan leaves out, and a plan of another withheld list does not fit", async () => {
    const plan = await recordKitLockdownPlan(STABLE);
    const n = plan.ops.length / 4;
    for (const i of [n - 1, Math.floor(n / 2), 1]) {
      const audited = await auditKitLockdownPlan(STABLE, without(plan, i));
      expect(audited?.kitReplayed, `dropping object ${i}`).toBe(true);
      expect(audited?.mismatches.length, `dropping object ${i}`).toBeGreaterThan(0);
    }
    const other = await auditKitLockdownPlan(PLAIN, plan);
    expect(other !== null && other.kitReplayed && other.mismatches.length === 0).toBe(false);
  });

  it("an isolate whose kit was replayed from the plan is frozen as a walked one, stubs included", async () => {
    expect(await recordKitPlan(STABLE)).toBe(true);
    const attempts = [
      "(torch as unknown as Record<string, unknown>).matmul = () => 0;",
      "(F as unknown as Record<string, unknown>).relu = () => 0;",
      "Object.defineProperty(torch, 'extra', { value: 1 });",
      "(nn.Linear.prototype as unknown as Record<string, unknown>).forward = () => 0;",
      "(Object.getPrototypeOf(torch.ones([1])) as Record<string, unknown>).add = () => 0;",
      "((F as unknown as { softmax: Record<string, unknown> }).softmax).extra = 1;",
    ];
    for (const attempt of attempts) {
      const source = `import { torch, F, nn, type Tensor } from "@tfm/kit";\n${attempt}\nexport function f(x: Tensor): Tensor { return x.add(1); }\n`;
      const compiled = await transpile(source);
      if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join("; "));
      const sb = await Sandbox.create({ ...STABLE, seed: 1 });
      try {
        expect(sb.lockdownReplayed()).toEqual({ intrinsics: true, kit: true });
        const loaded = await sb.load(compiled.code, 1_000);
        expect(loaded.ok, attempt).toBe(false);
        if (!loaded.ok) expect(loaded.error.message, attempt).toMatch(/read only|read-only|not extensible|Cannot assign|Cannot add|Cannot define/i);
      } finally {
        sb.dispose();
      }
    }
    // The withheld entry is still the explaining stub, and the rest of the kit works.
    const compiled = await transpile(`import { F, type Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { return F.softmax(x, -1); }\nexport function g(x: Tensor): Tensor { return x.exp().add(1); }\n`);
    if (!compiled.ok) throw new Error("does not compile");
    const sb = await Sandbox.create({ ...STABLE, seed: 1 });
    try {
      expect((await sb.load(compiled.code, 1_000)).ok).toBe(true);
      const stubbed = await sb.call("f", [fromValues([2], [1, 2])], 1_000);
      expect(stubbed.ok).toBe(false);
      if (!stubbed.ok) expect(stubbed.error.message).toMatch(/softmax/);
      expect((await sb.call("g", [fromValues([2], [1, 2])], 1_000)).ok).toBe(true);
    } finally {
      sb.dispose();
    }
  });
});
