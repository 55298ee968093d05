/**
 * The inputs the PyTorch oracle sees, and the JSON form both sides read. Shared by the export
 * script (oracle/export.ts) and the golden test (test/oracle.test.ts), so the test regenerates the
 * very same arguments and can tell a stale golden (its input hash no longer matches) from a wrong
 * reference.
 *
 * Which instances: every public and pitfall case once (their seeds are fixed), every hidden case
 * for the three submission seeds the exercise suite grades with (1, 2024, 4e9).
 */
import { createHash } from "node:crypto";
import { type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import type { CatalogEntry } from "@tfm/grader/catalog";
import { loadRuntime } from "@tfm/grader/runtime";
import { Rng, deriveSeed } from "@tfm/spec";
import { z } from "zod";

export const SUBMISSION_SEEDS = [1, 2024, 4_000_000_000] as const;

/** Extra submission seeds for the SMILES exercise only: more molecules for RDKit to read. */
export const SMILES_SWEEP_SEEDS = Array.from({ length: 24 }, (_, i) => 100 + i);

export interface OracleCase {
  /** The case's permanent id. */
  id: string;
  kind: "public" | "hidden" | "pitfall";
  /** The submission seed a hidden case was drawn for; null for public and pitfall cases. */
  seed: number | null;
  args: WireValue[];
  /** sha256 of the JSON text of `args` (encodeWire): what the golden was computed from. */
  sha256: string;
}

/** JSON for a wire value: tensors keep dtype and shape; NaN and infinities become strings. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function numberJson(x: number): Json {
  return Number.isFinite(x) ? x : { $number: String(x) };
}

export function encodeWire(v: WireValue): Json {
  if (isWireTensor(v)) {
    const { dtype, shape, data } = v.$tensor;
    return { $tensor: { dtype, shape: [...shape], data: Array.from(data, (x) => (Number.isFinite(x) ? x : String(x))) } };
  }
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return numberJson(v);
  if (Array.isArray(v)) return v.map(encodeWire);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeWire(x)]));
}

const NonFinite = z.enum(["NaN", "Infinity", "-Infinity"]);
const TensorJson = z
  .object({
    $tensor: z
      .object({
        dtype: z.enum(["float32", "int32", "bool"]),
        shape: z.array(z.number().int().nonnegative()),
        data: z.array(z.union([z.number(), NonFinite])),
      })
      .strict(),
  })
  .strict();

function nonFinite(s: z.infer<typeof NonFinite>): number {
  return s === "NaN" ? Number.NaN : s === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** The inverse of encodeWire; throws naming the path of anything that is not wire JSON. */
export function decodeWire(j: unknown, where = "$"): WireValue {
  if (j === null || typeof j === "boolean" || typeof j === "string" || typeof j === "number") return j;
  if (Array.isArray(j)) return j.map((x, i) => decodeWire(x, `${where}[${i}]`));
  if (typeof j !== "object") throw new Error(`${where}: not wire JSON (${typeof j})`);
  const o = j as Record<string, unknown>;
  if ("$tensor" in o) {
    const t = TensorJson.safeParse(o);
    if (!t.success) throw new Error(`${where}: bad tensor: ${t.error.issues[0]?.message}`);
    const { dtype, shape, data } = t.data.$tensor;
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`${where}: tensor of shape [${shape.join(", ")}] has ${data.length} values`);
    const values = data.map((x) => (typeof x === "number" ? x : nonFinite(x)));
    const typed = dtype === "float32" ? Float32Array.from(values) : dtype === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
    return wireTensor(dtype, shape, typed);
  }
  if ("$number" in o) {
    const n = NonFinite.safeParse(o.$number);
    if (!n.success || Object.keys(o).length !== 1) throw new Error(`${where}: bad $number`);
    return nonFinite(n.data);
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeWire(x, `${where}.${k}`)]));
}

export function argsHash(args: WireValue[]): string {
  return createHash("sha256").update(JSON.stringify(args.map(encodeWire))).digest("hex");
}

/** Every instance of every case of one exercise, in spec order, as the grader would draw them. */
export async function oracleCases(entry: CatalogEntry): Promise<OracleCase[]> {
  const { spec } = await loadRuntime(entry);
  const seeds: readonly number[] = entry.meta.id === "smiles-tokenizer" ? [...SUBMISSION_SEEDS, ...SMILES_SWEEP_SEEDS] : SUBMISSION_SEEDS;
  const out: OracleCase[] = [];
  for (const c of spec.cases) {
    const instances = c.kind === "hidden" ? seeds.map((s) => ({ seed: s as number | null, caseSeed: deriveSeed(s, c.id) })) : [{ seed: null, caseSeed: deriveSeed(0, c.id) }];
    for (const { seed, caseSeed } of instances) {
      const args = c.make({ rng: new Rng(caseSeed) });
      out.push({ id: c.id, kind: c.kind, seed, args, sha256: argsHash(args) });
    }
  }
  return out;
}

/** The key of one instance in a golden file. */
export function instanceKey(c: { id: string; seed: number | null }): string {
  return c.seed === null ? c.id : `${c.id}@${c.seed}`;
}
