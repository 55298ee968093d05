/**
 * Reading the PyTorch oracle's golden files (oracle/golden/<id>.json, written by
 * `python3 -m oracle golden`) and judging a value (a reference's or a submission's) against one
 * golden case with the exercise's own tolerance and the grader's own comparison (compareValues).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Localized, type WireValue, isWireTensor } from "@tfm/contract";
import { thrownExpectation } from "@tfm/spec";
import type { CatalogEntry } from "@tfm/grader/catalog";
import { compareValues } from "@tfm/grader/compare";
import { z } from "zod";
import { decodeWire, instanceKey } from "./cases.ts";

export const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

/** What a golden holds: the whole expected value, or the part of it the oracle can judge. */
export const CHECKS = ["full", "distribution", "device-and-split", "rdkit-atoms", "formula-tokens", "checkpoint"] as const;
export type Check = (typeof CHECKS)[number];

const OracleHeader = z
  .object({
    version: z.string().describe("oracle package version (oracle/__init__.py)"),
    torch: z.string().describe("torch.__version__ that computed the goldens"),
    rdkit: z.string().describe("RDKit version that read the SMILES"),
    device: z.string().describe("cpu or cuda"),
    dtype: z.string().describe("float dtype of the computation (goldens: float64, rounded to float32 on write)"),
  })
  .strict();

const GoldenCase = z
  .object({
    id: z.string().min(1).describe("the case's permanent id"),
    kind: z.enum(["public", "hidden", "pitfall"]),
    seed: z.number().int().nonnegative().nullable().describe("submission seed of a hidden case; null for public and pitfall cases"),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).describe("hash of the exported arguments the golden was computed from"),
    expected: z.unknown().describe("wire JSON of the expected value, or of the part the check names"),
  })
  .strict();
export type GoldenCase = z.infer<typeof GoldenCase>;

const GoldenFile = z
  .object({
    oracle: OracleHeader,
    exercise: z.string(),
    check: z.enum(CHECKS).describe("what `expected` holds: the whole value or a projection of it"),
    tolerance: z.object({ atol: z.number(), rtol: z.number() }).strict().describe("the exercise's tolerance when exported"),
    cases: z.array(GoldenCase).min(1),
  })
  .strict();
export type GoldenFile = z.infer<typeof GoldenFile>;

const GoldenIndex = z
  .object({
    oracle: OracleHeader,
    covered: z.record(z.string(), z.object({ check: z.enum(CHECKS), cases: z.number().int().positive() }).strict()),
    notCovered: z.record(z.string(), z.string().min(10)).describe("exercise id -> why the oracle has nothing to compute"),
    command: z.string().describe("how the goldens were produced"),
  })
  .strict();
export type GoldenIndex = z.infer<typeof GoldenIndex>;

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run oracle:golden\``);
  return JSON.parse(readFileSync(file, "utf8"));
}

export function loadIndex(dir = GOLDEN_DIR): GoldenIndex {
  const file = path.join(dir, "index.json");
  const parsed = GoldenIndex.safeParse(readJson(file));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function loadGolden(id: string, dir = GOLDEN_DIR): GoldenFile {
  const file = path.join(dir, `${id}.json`);
  const parsed = GoldenFile.safeParse(readJson(file));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  if (parsed.data.exercise !== id) throw new Error(`${file}: holds exercise '${parsed.data.exercise}'`);
  return parsed.data;
}

export type Verdict = { ok: true; skipped?: string } | { ok: false; message: string };

const en = (l: Localized): string => l.en;

// ------------------------------------------------------------------ SMILES atoms (RDKit's view)

const RdkitAtom = z.tuple([z.string(), z.boolean(), z.number().int(), z.number().int(), z.number().int(), z.boolean()]);
const RdkitGolden = z
  .object({
    kind: z.enum(["molecule", "reaction"]),
    atoms: z.array(RdkitAtom).describe("RDKit's atoms in input order: [symbol, aromatic, isotope, charge, explicit H, bracket]"),
    bonds: z.number().int().nonnegative(),
    sanitized: z.boolean().describe("whether RDKit can also sanitize it (the random hidden strings need not be molecules)"),
  })
  .strict();
type RdkitAtom = z.infer<typeof RdkitAtom>;

const ORGANIC = /^(Br|Cl|[BCNOPSFI]|[bcnosp]|\*)$/;
const BRACKET = /^\[(\d*)(se|as|te|[bcnops]|[A-Z][a-z]?|\*)(@@|@)?(?:H(\d*))?([+-]+\d*)?(?::\d+)?\]$/;

function charge(text: string | undefined): number {
  if (text === undefined) return 0;
  const sign = text.startsWith("+") ? 1 : -1;
  const digits = /\d+$/.exec(text);
  return sign * (digits ? Number(digits[0]) : text.length);
}

/**
 * The atom a SMILES token stands for, in RDKit's terms ([symbol, aromatic, isotope, charge,
 * explicit Hs, bracket]), or null for a token that is not an atom (bonds, ring labels, branches).
 */
export function atomOfToken(token: string): RdkitAtom | null {
  if (ORGANIC.test(token)) {
    const aromatic = token.length === 1 && token >= "a" && token <= "z";
    const symbol = aromatic ? token.toUpperCase() : token;
    return [symbol, aromatic, 0, 0, 0, false];
  }
  if (!token.startsWith("[")) return null;
  const m = BRACKET.exec(token);
  if (m === null) throw new Error(`cannot read the bracket atom ${token}`);
  const raw = m[2] as string;
  const aromatic = raw !== "*" && raw[0] === (raw[0] as string).toLowerCase();
  const symbol = aromatic ? raw[0]?.toUpperCase() + raw.slice(1) : raw;
  const hs = m[4] === undefined ? 0 : m[4] === "" ? 1 : Number(m[4]);
  return [symbol, aromatic, m[1] ? Number(m[1]) : 0, charge(m[5]), hs, true];
}

/** Bonds the tokens imply: a spanning tree per component (atoms - components) plus one per ring closure. */
function bondsOfTokens(tokens: readonly string[], atoms: number): number {
  let components = 0;
  let inGroup = false;
  for (const t of tokens) {
    if (t === "." || t === ">") {
      inGroup = false;
    } else if (atomOfToken(t) !== null && !inGroup) {
      inGroup = true;
      components++;
    }
  }
  const ringLabels = tokens.filter((t) => /^(?:[0-9]|%[0-9]{2})$/.test(t)).length;
  return atoms - components + ringLabels / 2;
}

function judgeAtoms(expected: unknown, tokens: WireValue): Verdict {
  const golden = RdkitGolden.parse(expected);
  if (!Array.isArray(tokens) || !tokens.every((t): t is string => typeof t === "string")) return { ok: false, message: "not a list of string tokens" };
  let atoms: RdkitAtom[];
  try {
    atoms = tokens.map(atomOfToken).filter((a): a is RdkitAtom => a !== null);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  if (atoms.length !== golden.atoms.length) {
    return { ok: false, message: `${atoms.length} atom tokens, RDKit reads ${golden.atoms.length} atoms (${golden.atoms.map((a) => a[0]).join(" ")})` };
  }
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i] as RdkitAtom;
    const e = golden.atoms[i] as RdkitAtom;
    if (a.some((x, j) => x !== e[j])) {
      return { ok: false, message: `atom ${i}: the tokens give [${a.join(", ")}], RDKit reads [${e.join(", ")}] ([symbol, aromatic, isotope, charge, H, bracket])` };
    }
  }
  const bonds = bondsOfTokens(tokens, atoms.length);
  if (bonds !== golden.bonds) return { ok: false, message: `the tokens imply ${bonds} bonds (atoms - components + ring closures), RDKit reads ${golden.bonds}` };
  return { ok: true };
}

// ------------------------------------------------------------------ the other projections

const Distribution = z.object({ distribution: z.enum(["uniform", "normal"]), std: z.number(), bound: z.number().nullable(), shape: z.array(z.number()) });

/** The part of weight-init's expected hypothesis the oracle states: distribution, std, bound, shape. */
export function distributionOf(v: WireValue): WireValue {
  const d = Distribution.parse(v);
  return { distribution: d.distribution, std: d.std, bound: d.bound, shape: d.shape };
}

const Record_ = z.object({ device: z.string(), split: z.object({ train: z.array(z.number()), val: z.array(z.number()), test: z.array(z.number()) }) });

function judgeRecord(expected: unknown, value: WireValue): Verdict {
  if (typeof value !== "string") return { ok: true, skipped: "no record (the config must be rejected)" };
  if (expected === null) return { ok: false, message: "a record was returned where the oracle finds none can be computed" };
  const want = Record_.parse(expected);
  const got = Record_.safeParse(JSON.parse(value));
  if (!got.success) return { ok: false, message: `the record has no device and split: ${value.slice(0, 120)}` };
  if (got.data.device !== want.device) return { ok: false, message: `device ${got.data.device}, the oracle says ${want.device}` };
  for (const part of ["train", "val", "test"] as const) {
    const a = got.data.split[part];
    const e = want.split[part];
    if (a.length !== e.length || a.some((x, i) => x !== e[i])) {
      return { ok: false, message: `split.${part} is [${a.slice(0, 8).join(", ")}${a.length > 8 ? ", ..." : ""}] (${a.length}), the oracle's torch.randperm gives [${e.slice(0, 8).join(", ")}${e.length > 8 ? ", ..." : ""}] (${e.length})` };
    }
  }
  return { ok: true };
}

// ------------------------------------------------------------------ formulas (RDKit's periodic table)

const FormulaGolden = z.union([
  z.object({ error: z.literal(true) }).strict(),
  z.object({ tokens: z.array(z.tuple([z.string(), z.number()])) }).strict(),
]);
const FormulaTokens = z.array(z.object({ element: z.string(), amount: z.number() }).strict());

function judgeFormula(expected: unknown, value: WireValue, tol: { atol: number; rtol: number }): Verdict {
  const golden = FormulaGolden.parse(expected);
  const throws = thrownExpectation(value) !== null;
  if ("error" in golden) return throws ? { ok: true } : { ok: false, message: "tokens were returned for a formula the oracle rejects" };
  if (throws) return { ok: false, message: `an error is demanded for a formula the oracle reads as ${golden.tokens.map(([e, n]) => `${e}${n}`).join(" ")}` };
  const got = FormulaTokens.safeParse(value);
  if (!got.success) return { ok: false, message: "not a list of { element, amount }" };
  const shown = (t: readonly (readonly [string, number])[]): string => t.map(([e, n]) => `${e}${n}`).join(" ");
  const tokens = got.data.map((t) => [t.element, t.amount] as const);
  const same =
    tokens.length === golden.tokens.length &&
    tokens.every(([e, n], i) => {
      const [ge, gn] = golden.tokens[i] as [string, number];
      return e === ge && Math.abs(n - gn) <= tol.atol + tol.rtol * Math.abs(gn);
    });
  return same ? { ok: true } : { ok: false, message: `tokens ${shown(tokens)}, the oracle reads ${shown(golden.tokens)}` };
}

// ------------------------------------------------------------------ checkpoints (nn.Module state_dict)

const CheckpointGolden = z.union([
  z.object({ error: z.string().min(1).describe("PyTorch's load_state_dict RuntimeError message") }).strict(),
  z
    .object({
      params: z.record(z.string(), z.unknown()),
      savedKeys: z.array(z.string()),
      missingKeys: z.array(z.string()),
      unexpectedKeys: z.array(z.string()),
    })
    .strict(),
]);

const sortedKeys = (v: WireValue | undefined): string[] | null =>
  Array.isArray(v) && v.every((k): k is string => typeof k === "string") ? [...v].sort() : null;

function judgeCheckpoint(expected: unknown, value: WireValue, tol: { atol: number; rtol: number }): Verdict {
  const golden = CheckpointGolden.parse(expected);
  const must = thrownExpectation(value);
  if ("error" in golden) {
    if (must === null) return { ok: false, message: `a result was returned where PyTorch's load_state_dict raises: ${golden.error.trim()}` };
    return new RegExp(must.pattern, "i").test(golden.error)
      ? { ok: true }
      : { ok: false, message: `the demanded error (/${must.pattern}/i) does not match PyTorch's message: ${golden.error.trim()}` };
  }
  if (must !== null) return { ok: false, message: `an error is demanded where PyTorch's load_state_dict succeeds` };
  if (value === null || typeof value !== "object" || Array.isArray(value) || isWireTensor(value)) return { ok: false, message: "not a checkpoint result object" };
  const params = compareValues(decodeWire(golden.params), value.params, { tolerance: tol });
  if (!params.ok) return { ok: false, message: `params: ${params.message.en}` };
  for (const key of ["savedKeys", "missingKeys", "unexpectedKeys"] as const) {
    const got = sortedKeys(value[key]);
    const want = [...golden[key]].sort();
    if (got === null || got.length !== want.length || got.some((k, i) => k !== want[i])) {
      return { ok: false, message: `${key} ${JSON.stringify(value[key])}, PyTorch gives ${JSON.stringify(golden[key])} (compared as sets)` };
    }
  }
  return { ok: true };
}

/**
 * A reference's value against a golden case: the whole value (compareValues with the exercise's
 * tolerance and output labels) or the projection the golden holds.
 */
export function judgeReference(entry: CatalogEntry, check: Check, golden: GoldenCase, value: WireValue): Verdict {
  const opts = { tolerance: entry.meta.tolerance, ...(entry.meta.outputLabels ? { labels: entry.meta.outputLabels } : {}) };
  switch (check) {
    case "full": {
      const expected = decodeWire(golden.expected);
      const c = compareValues(expected, value, opts);
      if (!c.ok) return { ok: false, message: en(c.message) };
      const dtype = dtypeDifference(expected, value, "");
      return dtype === null ? { ok: true } : { ok: false, message: dtype };
    }
    case "distribution": {
      const c = compareValues(decodeWire(golden.expected), distributionOf(value), opts);
      return c.ok ? { ok: true } : { ok: false, message: en(c.message) };
    }
    case "device-and-split":
      return judgeRecord(golden.expected, value);
    case "rdkit-atoms":
      return judgeAtoms(golden.expected, value);
    case "formula-tokens":
      return judgeFormula(golden.expected, value, entry.meta.tolerance);
    case "checkpoint":
      return judgeCheckpoint(golden.expected, value, entry.meta.tolerance);
  }
}

export { judgeAtoms, judgeCheckpoint, judgeFormula, judgeRecord };

/** compareValues judges values, not dtypes; a reference must also return the golden's dtypes. */
function dtypeDifference(expected: WireValue, actual: WireValue | undefined, where: string): string | null {
  if (isWireTensor(expected)) {
    const got = isWireTensor(actual) ? actual.$tensor.dtype : "none";
    return got === expected.$tensor.dtype ? null : `${where || "result"}: dtype ${got}, PyTorch's result is ${expected.$tensor.dtype}`;
  }
  if (Array.isArray(expected)) {
    for (let i = 0; i < expected.length; i++) {
      const d = dtypeDifference(expected[i] as WireValue, Array.isArray(actual) ? actual[i] : undefined, `${where}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (expected !== null && typeof expected === "object") {
    for (const [k, v] of Object.entries(expected)) {
      const a = actual !== null && typeof actual === "object" && !Array.isArray(actual) && !isWireTensor(actual) ? actual[k] : undefined;
      const d = dtypeDifference(v, a, `${where}.${k}`);
      if (d !== null) return d;
    }
  }
  return null;
}

/** "<exercise> <case>[@seed]: <message>", the form every failure is reported in. */
export function failureLine(id: string, c: GoldenCase, message: string): string {
  return `${id} ${instanceKey(c)}: ${message}`;
}
