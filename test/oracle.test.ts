/**
 * Three independent implementations must agree: the PyTorch oracle's committed goldens
 * (oracle/golden, written by `python3 -m oracle golden`), the TensorFlow.js references and the
 * model solutions (run in the real sandbox with the kit). No Python is needed here. A reference
 * made deliberately wrong (its known-mistake variants, 1/d scaling, a dropped mask) must fail
 * against the goldens, with a message naming the exercise and the case.
 */
import { readFileSync } from "node:fs";
import { type WireValue, WireValueSchema } from "@tfm/contract";
import { type CatalogEntry, loadCatalog } from "@tfm/grader/catalog";
import { compareValues } from "@tfm/grader/compare";
import { loadRuntime } from "@tfm/grader/runtime";
import { Sandbox } from "@tfm/grader/sandbox/sandbox";
import { transpile } from "@tfm/grader/transpile";
import { CORRECT_ATTENTION, attentionTf, availableBackends, compute, initBackend, optionalTf, tf, toTf } from "@tfm/reference";
import { type ReferenceDef, thrownExpectation } from "@tfm/spec";
import { beforeAll, describe, expect, it } from "vitest";
// Registers the wasm backend, so that every rung available here is compared whichever one is picked.
import "@tensorflow/tfjs-backend-wasm";
import { decodeWire, instanceKey, oracleCases } from "../oracle/cases.ts";
import { skippedOnWebgpu } from "./webgpu-exclusions.ts";
import {
  type Check,
  type GoldenCase,
  type GoldenFile,
  atomOfToken,
  distributionOf,
  failureLine,
  judgeAtoms,
  judgeCheckpoint,
  judgeFormula,
  judgeRecord,
  judgeReference,
  loadGolden,
  loadIndex,
} from "../oracle/golden.ts";

const catalog = loadCatalog();
const index = loadIndex();
const covered = Object.entries(index.covered);

function entryOf(id: string): CatalogEntry {
  const e = catalog.exercises.get(id);
  if (e === undefined) throw new Error(`unknown exercise ${id}`);
  return e;
}

/** The arguments of every golden case, regenerated from today's spec (hash-checked against the golden). */
async function argsByKey(entry: CatalogEntry): Promise<Map<string, { args: WireValue[]; sha256: string }>> {
  const cases = await oracleCases(entry);
  return new Map(cases.map((c) => [instanceKey(c), { args: c.args, sha256: c.sha256 }]));
}

/** Judges a reference on every golden case; the lines of the cases it fails. */
async function failuresOf(id: string, golden: GoldenFile, reference: ReferenceDef["expected"], args: Map<string, { args: WireValue[] }>, firstOnly = false, skip: (caseId: string) => boolean = () => false): Promise<{ failures: string[]; judged: number }> {
  const entry = entryOf(id);
  const failures: string[] = [];
  let judged = 0;
  for (const c of golden.cases) {
    if (skip(c.id)) continue;
    const a = args.get(instanceKey(c));
    if (a === undefined) throw new Error(`${id} ${instanceKey(c)}: the spec no longer has this case`);
    const value = await reference(a.args);
    // A variant that returns null does not apply to these arguments: nothing to judge.
    if (value === null) continue;
    const v = judgeReference(entry, golden.check, c, value);
    if ("skipped" in v && v.skipped !== undefined) continue;
    judged++;
    if (!v.ok) {
      failures.push(failureLine(id, c, v.message));
      if (firstOnly) break;
    }
  }
  return { failures, judged };
}

beforeAll(async () => {
  await initBackend();
});

describe("PyTorch oracle goldens", () => {
  it("cover every exercise (numeric ones and checkpoints with PyTorch, SMILES and formulas with RDKit) but the SVG heatmap, and say why", () => {
    const ids = [...catalog.exercises.keys()].sort();
    expect([...Object.keys(index.covered), ...Object.keys(index.notCovered)].sort()).toEqual(ids);
    expect(index.covered["smiles-tokenizer"]?.check).toBe("rdkit-atoms");
    expect(index.covered["composition-tokenizer"]?.check).toBe("formula-tokens");
    expect(index.covered["state-dict"]?.check).toBe("checkpoint");
    expect(Object.keys(index.notCovered).sort()).toEqual(["attention-heatmap"]);
    expect(index.oracle.dtype).toBe("float64");
    expect(index.oracle.device).toBe("cpu");
  });

  it("reads SMILES atom tokens the way RDKit reads atoms", () => {
    expect(atomOfToken("[nH]")).toEqual(["N", true, 0, 0, 1, true]);
    expect(atomOfToken("[13CH4]")).toEqual(["C", false, 13, 0, 4, true]);
    expect(atomOfToken("[Fe+2]")).toEqual(["Fe", false, 0, 2, 0, true]);
    expect(atomOfToken("[O--]")).toEqual(["O", false, 0, -2, 0, true]);
    expect(atomOfToken("[C@@H]")).toEqual(["C", false, 0, 0, 1, true]);
    expect(atomOfToken("[se]")).toEqual(["Se", true, 0, 0, 0, true]);
    expect(atomOfToken("Cl")).toEqual(["Cl", false, 0, 0, 0, false]);
    expect(atomOfToken("c")).toEqual(["C", true, 0, 0, 0, false]);
    expect(atomOfToken("%10")).toBeNull();
    expect(atomOfToken("=")).toBeNull();
    expect(() => atomOfToken("[Na+].[Cl-]")).toThrow(/bracket atom/);
  });

  it("include the molecules the chapter names (ethanol CCO, ibuprofen, methanol with its six atoms) among the SMILES cases", async () => {
    const args = await argsByKey(entryOf("smiles-tokenizer"));
    const smiles = new Set([...args.values()].map((a) => a.args[0]));
    for (const s of ["CCO", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "[H]C([H])([H])O[H]"]) expect(smiles.has(s), s).toBe(true);
    // The chapter's methanol: "atoms: C, H, H, H, O, H"; RDKit reads the same six.
    const methanol = loadGolden("smiles-tokenizer").cases.find((c) => c.id === "smiles-methanol-explicit-h");
    const atoms = (methanol?.expected as { atoms: [string][] } | undefined)?.atoms.map((a) => a[0]);
    expect(atoms).toEqual(["H", "C", "H", "H", "O", "H"]);
  });
});

describe.each(covered)("%s against the PyTorch oracle", (id, info) => {
  const entry = entryOf(id);
  let golden: GoldenFile;
  let args: Map<string, { args: WireValue[]; sha256: string }>;

  beforeAll(async () => {
    golden = loadGolden(id);
    args = await argsByKey(entry);
  });

  it("has a golden for every case the spec generates today, from the same inputs", () => {
    expect(golden.check).toBe(info.check);
    expect(golden.tolerance).toEqual(entry.meta.tolerance);
    expect(golden.oracle.dtype).toBe("float64");
    const stale = golden.cases.filter((c) => args.get(instanceKey(c))?.sha256 !== c.sha256).map((c) => instanceKey(c));
    expect(stale, "golden cases computed from other inputs: run `npm run oracle:golden`").toEqual([]);
    expect(golden.cases.map(instanceKey).sort()).toEqual([...args.keys()].sort());
  });

  it("agrees with the TensorFlow.js reference on every case, within the exercise's tolerance", async () => {
    const { reference } = await loadRuntime(entry);
    const { failures, judged } = await failuresOf(id, golden, reference.expected, args);
    expect(failures).toEqual([]);
    // Only seeded-experiment skips cases (configs that must be rejected carry no record).
    expect(judged).toBeGreaterThanOrEqual(id === "seeded-experiment" ? 15 : golden.cases.length);
  });

  it("agrees with the reference on every other TensorFlow.js backend of the ladder available here", async () => {
    const { reference } = await loadRuntime(entry);
    const picked = await initBackend();
    const { names, webgpu } = await availableBackends();
    const others = names.filter((b) => b !== picked);
    // tfjs-node (tensorflow, tensorflow-gpu) cannot install here: wasm is picked, cpu and webgpu
    // (Mesa's llvmpipe on CI, the GPU on the device machine) are the others.
    expect(names, "reason" in webgpu ? `webgpu did not register: ${webgpu.reason}` : "").toContain("webgpu");
    expect(others.length).toBeGreaterThan(0);
    try {
      const software = "adapter" in webgpu && webgpu.adapter.software;
      for (const b of others) {
        expect(await tf.setBackend(b)).toBe(true);
        // Exclusions (test/webgpu-exclusions.ts, with reasons) apply on a software adapter only.
        const { failures, judged } = await failuresOf(id, golden, reference.expected, args, false, (caseId) => skippedOnWebgpu(id, caseId, b, software));
        expect(failures, `backend ${b}`).toEqual([]);
        expect(judged, `backend ${b}`).toBeGreaterThan(0);
      }
    } finally {
      await tf.setBackend(picked);
    }
  });

  it("rejects the reference once the golden is moved (ten times the tolerance, a changed split, one bond more)", async () => {
    const { reference } = await loadRuntime(entry);
    const tol = entry.meta.tolerance;
    let moved = 0;
    for (const c of golden.cases) {
      const value = await reference.expected(args.get(instanceKey(c))?.args ?? []);
      const shifted = moveGolden(info.check, c.expected, tol);
      if (shifted === null || (info.check === "device-and-split" && typeof value !== "string")) continue;
      expect(judgeReference(entry, info.check, c, value).ok, instanceKey(c)).toBe(true);
      const v = judgeReference(entry, info.check, { ...c, expected: shifted }, value);
      expect(v.ok, `${instanceKey(c)} still passes against a moved golden`).toBe(false);
      moved++;
    }
    expect(moved).toBeGreaterThanOrEqual(5);
  });

  it("agrees with the model solution run in the sandbox", async () => {
    const { spec, reference } = await loadRuntime(entry);
    const compiled = await transpile(readFileSync(entry.solutionPath, "utf8"));
    if (!compiled.ok) throw new Error(`${id}: the model solution does not compile`);
    const limits = entry.meta.limits;
    const sandbox = await Sandbox.create({ memoryMb: limits.memoryMb, withheld: entry.meta.withheld, consoleBytes: limits.consoleBytes, resultBytes: limits.resultBytes, seed: 1 });
    const failures: string[] = [];
    let judged = 0;
    try {
      const loaded = await sandbox.load(compiled.code, 30_000);
      expect(loaded.ok).toBe(true);
      for (const c of golden.cases) {
        const a = args.get(instanceKey(c))?.args ?? [];
        const outcome = await sandbox.call(entry.meta.entry, a, 60_000);
        if (!outcome.ok) {
          // Configs the exercise must reject: the solution throws, as the reference demands.
          const must = thrownExpectation(await reference.expected(a));
          if (must !== null && new RegExp(must.pattern, "i").test(outcome.error.message)) {
            judged++;
            continue;
          }
          failures.push(failureLine(id, c, `the solution failed: ${outcome.kind} ${outcome.error.message}`));
          continue;
        }
        const actual = WireValueSchema.parse(outcome.value);
        const v = await judgeSolution(info.check, c, actual, a);
        if (v !== null) failures.push(failureLine(id, c, v));
        judged++;
      }
    } finally {
      sandbox.dispose();
    }
    expect(failures).toEqual([]);
    expect(judged).toBe(golden.cases.length);

    /** The grader's own comparison (the spec's compare where it has one) against the golden. */
    async function judgeSolution(check: Check, c: GoldenCase, actual: WireValue, a: WireValue[]): Promise<string | null> {
      const opts = { tolerance: entry.meta.tolerance, ...(entry.meta.outputLabels ? { labels: entry.meta.outputLabels } : {}) };
      switch (check) {
        case "full": {
          const expected = decodeWire(c.expected);
          const v = spec.compare ? spec.compare(expected, actual, a) : compareValues(expected, actual, opts);
          return v.ok ? null : v.message.en;
        }
        case "distribution": {
          // The statistical test the grader runs, with the oracle's distribution as the hypothesis.
          const hypothesis = { ...(await reference.expected(a) as Record<string, WireValue>), ...(distributionOf(decodeWire(c.expected)) as Record<string, WireValue>) };
          const v = spec.compare ? spec.compare(hypothesis, actual, a) : { ok: false as const, message: { ja: "", en: "weight-init has no compare" } };
          return v.ok ? null : v.message.en;
        }
        case "device-and-split": {
          const v = judgeRecord(c.expected, actual);
          return v.ok ? null : v.message;
        }
        case "rdkit-atoms": {
          const v = judgeAtoms(c.expected, actual);
          return v.ok ? null : v.message;
        }
        case "formula-tokens": {
          const v = judgeFormula(c.expected, actual, entry.meta.tolerance);
          return v.ok ? null : v.message;
        }
        case "checkpoint": {
          const v = judgeCheckpoint(c.expected, actual, entry.meta.tolerance);
          return v.ok ? null : v.message;
        }
      }
    }
  });
});

/**
 * Mistakes the golden cannot see, with why: the oracle recomputes what PyTorch can compute, not
 * the exercise's input validation.
 */
const UNSEEN: Record<string, string> = {
  "seeded-experiment/splits-not-validated": "returns a record where the reference demands an error; the oracle checks records, not validation",
  "seeded-experiment/config-not-validated": "returns a record where the reference demands an error; the oracle checks records, not validation",
};

describe("a deliberately wrong reference fails against the goldens", () => {
  it.each(covered.map(([id]) => id))("every known-mistake variant of %s fails on some case, naming exercise and case", async (id) => {
    const entry = entryOf(id);
    const golden = loadGolden(id);
    const args = await argsByKey(entry);
    const { reference } = await loadRuntime(entry);
    const variants = Object.entries(reference.variants ?? {});
    expect(variants.length).toBeGreaterThan(0);
    for (const [pitfall, variant] of variants) {
      if (UNSEEN[`${id}/${pitfall}`] !== undefined) continue;
      const { failures } = await failuresOf(id, golden, variant, args, true);
      expect(failures.length, `variant ${pitfall} of ${id} agrees with PyTorch on every case`).toBeGreaterThan(0);
      expect(failures[0]).toMatch(new RegExp(`^${id} [a-z0-9-]+(@\\d+)?: `));
    }
  });

  const sdpa = "scaled-dot-product-attention";
  const wrong = {
    "scores scaled by 1/d_k instead of 1/sqrt(d_k)": (a: readonly WireValue[]) =>
      compute(() => {
        const q = toTf(a[0]);
        const dk = q.shape[q.rank - 1] ?? 1;
        return attentionTf(tf.div(q, Math.sqrt(dk)), toTf(a[1]), toTf(a[2]), optionalTf(a[3]), CORRECT_ATTENTION);
      }),
    "the mask left out": (a: readonly WireValue[]) => compute(() => attentionTf(toTf(a[0]), toTf(a[1]), toTf(a[2]), null, CORRECT_ATTENTION)),
  };

  it.each(Object.keys(wrong))(`${sdpa} with %s fails, naming the exercise and the case`, async (what) => {
    const golden = loadGolden(sdpa);
    const args = await argsByKey(entryOf(sdpa));
    const { failures } = await failuresOf(sdpa, golden, wrong[what as keyof typeof wrong], args);
    expect(failures.length).toBeGreaterThan(0);
    const caseIds = new Set(golden.cases.map(instanceKey));
    for (const line of failures) {
      const m = /^scaled-dot-product-attention (\S+): (.+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(caseIds.has(m?.[1] ?? "")).toBe(true);
      expect(m?.[2]).toMatch(/differ beyond tolerance/);
    }
    if (what === "the mask left out") {
      // Exactly the masked cases fail: every case with a mask, none without.
      const masked = golden.cases.filter((c) => (args.get(instanceKey(c))?.args[3] ?? null) !== null).map(instanceKey);
      expect(failures.map((l) => /^\S+ (\S+):/.exec(l)?.[1]).sort()).toEqual(masked.sort());
    }
  });
});

/** A golden value changed just enough that a right answer must no longer match it (null: nothing to move). */
function moveGolden(check: Check, expected: unknown, tol: { atol: number; rtol: number }): unknown {
  const copy = JSON.parse(JSON.stringify(expected)) as Record<string, unknown> | null;
  if (copy === null) return null;
  switch (check) {
    case "full": {
      let done = false;
      const visit = (v: unknown): void => {
        if (done || v === null || typeof v !== "object") return;
        const t = (v as { $tensor?: { dtype: string; data: (number | string)[] } }).$tensor;
        if (t !== undefined) {
          const first = t.data[0];
          if (typeof first !== "number") return;
          t.data[0] = t.dtype === "float32" ? first + 10 * (tol.atol + tol.rtol * Math.abs(first)) + 1e-6 : first + 1;
          done = true;
          return;
        }
        for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x);
      };
      visit(copy);
      return done ? copy : null;
    }
    case "distribution":
      return { ...copy, std: (copy.std as number) * 1.5 };
    case "device-and-split":
      return { ...copy, device: copy.device === "cpu" ? "cuda" : "cpu" };
    case "rdkit-atoms":
      return { ...copy, bonds: (copy.bonds as number) + 1 };
    case "formula-tokens":
      return "error" in copy ? { tokens: [["H", 1]] } : { error: true };
    case "checkpoint":
      return "error" in copy
        ? { error: "Error(s) in loading state_dict for Module:\n\tsomething else went wrong." }
        : { ...copy, missingKeys: [...(copy.missingKeys as string[]), "not.a.key"] };
  }
}
