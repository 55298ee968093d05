/**
 * Runs a differential case (oracle/differential/cases.ts) on the kit, and compares an outcome
 * with PyTorch's (oracle/golden/differential.json, written by `python3 -m oracle differential`).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { F, KitError, type Tensor, fromParts, nn, tensorParts, torch } from "@tfm/kit";
import { z } from "zod";
import type { Json } from "../cases.ts";
import type { Check, DiffCase } from "./cases.ts";

/** What one case gave: a value (wire JSON; tensors carry `contiguous`) or a rejection. */
export type Outcome = { ok: true; value: Json } | { ok: false; error: string; kitError?: boolean };

const NONFINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };

function num(x: number | string): number {
  if (typeof x === "number") return x;
  const v = NONFINITE[x];
  if (v === undefined) throw new Error(`not a wire number: ${x}`);
  return v;
}

interface WireTensorJson {
  $tensor: { dtype: "float32" | "int32" | "bool"; shape: number[]; data: (number | string)[] };
  contiguous?: boolean;
}

function isTensorJson(j: Json): j is Json & WireTensorJson {
  return typeof j === "object" && j !== null && !Array.isArray(j) && "$tensor" in j;
}

/** Wire JSON -> kit arguments: tensors become kit tensors, {$number} plain numbers. */
export function decodeArg(j: Json): unknown {
  if (j === null || typeof j !== "object") return j;
  if (Array.isArray(j)) return j.map(decodeArg);
  if (isTensorJson(j)) {
    const { dtype, shape, data } = j.$tensor;
    const values = data.map(num);
    const storage = dtype === "float32" ? Float32Array.from(values) : dtype === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
    return fromParts(dtype, shape, storage);
  }
  if ("$number" in j && typeof j.$number === "string") return num(j.$number);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(j)) out[k] = decodeArg(v);
  return out;
}

function numberJson(x: number): Json {
  return Number.isFinite(x) ? (Object.is(x, -0) ? 0 : x) : { $number: String(x) };
}

/** A kit result -> wire JSON (tensors with their contiguity). */
export function encodeResult(v: unknown): Json {
  const parts = tensorParts(v);
  if (parts !== null) {
    const t = v as Tensor;
    return {
      $tensor: { dtype: parts.dtype, shape: parts.shape, data: Array.from(parts.data, (x) => (Number.isFinite(x) ? (Object.is(x, -0) ? 0 : x) : String(x))) },
      contiguous: t.isContiguous(),
    };
  }
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return numberJson(v);
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(encodeResult);
  throw new Error(`cannot encode a kit result of type ${typeof v}`);
}

type Fn = (...args: unknown[]) => unknown;

function member(obj: object, name: string, what: string): Fn {
  const f: unknown = Reflect.get(obj, name);
  if (typeof f !== "function") throw new Error(`${what}.${name} is not a function of the kit`);
  return f as Fn;
}

function asTensor(x: unknown, op: string): Tensor {
  if (tensorParts(x) === null) throw new Error(`${op}: expected a kit tensor as the first argument`);
  return x as Tensor;
}

const PROPS = new Set(["shape", "ndim", "dtype"]);

function callOp(op: string, args: unknown[]): unknown {
  const dot = op.indexOf(".");
  const ns = op.slice(0, dot);
  const name = op.slice(dot + 1);
  switch (ns) {
    case "x": {
      const self = asTensor(args[0], op);
      if (PROPS.has(name)) return Reflect.get(self, name);
      return member(self, name, "Tensor").apply(self, args.slice(1));
    }
    case "torch":
      return member(torch, name, "torch")(...args);
    case "F":
      return member(F, name, "F")(...args);
    case "init":
      return member(nn.init, name, "nn.init")(...args);
    case "nn":
      return runModule(name, args);
  }
  throw new Error(`unknown op namespace in ${op}`);
}

function names(m: nn.Module): string[] {
  return m.namedParameters().map(([n]) => n);
}

function runModule(name: string, args: unknown[]): unknown {
  switch (name) {
    case "Linear": {
      const [inF, outF, opts, w, b, x] = args as [number, number, { bias?: boolean }, Tensor, Tensor | null, Tensor];
      const m = new nn.Linear(inF, outF, opts);
      m.weight.copy_(w);
      if (b !== null && m.bias) m.bias.copy_(b);
      return [m.forward(x), names(m)];
    }
    case "Embedding": {
      const [n, d, opts, w, ids] = args as [number, number, { paddingIdx?: number }, Tensor, Tensor];
      const m = new nn.Embedding(n, d, opts);
      m.weight.copy_(w);
      return [m.forward(ids), names(m)];
    }
    case "LayerNorm": {
      const [d, opts, x] = args as [number, { eps?: number }, Tensor];
      const m = new nn.LayerNorm(d, opts);
      return [m.forward(x), names(m)];
    }
    case "Dropout": {
      const [p, x] = args as [number, Tensor];
      const m = new nn.Dropout(p);
      m.eval();
      return [m.forward(x), names(m)];
    }
  }
  throw new Error(`unknown module nn.${name}`);
}

/** Runs every step of the case on the kit. Only KitErrors count as the kit's rejections. */
export function runKit(c: DiffCase): Outcome {
  let value: unknown;
  try {
    c.steps.forEach((step, i) => {
      const args = step.args.map(decodeArg);
      value = callOp(step.op, i === 0 ? args : [value, ...args]);
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: message, kitError: e instanceof KitError };
  }
  return { ok: true, value: encodeResult(value) };
}

// ------------------------------------------------------------------ comparison

/** float32 results: PyTorch computes in float32, the kit in float64 rounded to float32. */
export const FLOAT_TOLERANCE = { atol: 1e-6, rtol: 1e-5 } as const;

function close(e: number, a: number): boolean {
  if (Number.isNaN(e) || Number.isNaN(a)) return Number.isNaN(e) && Number.isNaN(a);
  if (!Number.isFinite(e) || !Number.isFinite(a)) return e === a;
  return Math.abs(a - e) <= FLOAT_TOLERANCE.atol + FLOAT_TOLERANCE.rtol * Math.abs(e);
}

function jsonNumber(j: Json): number | null {
  if (typeof j === "number") return j;
  if (typeof j === "object" && j !== null && !Array.isArray(j) && "$number" in j && typeof j.$number === "string") return num(j.$number);
  return null;
}

function compareTensor(where: string, e: WireTensorJson, a: WireTensorJson, check: Check): string | null {
  const te = e.$tensor;
  const ta = a.$tensor;
  if (te.dtype !== ta.dtype || te.shape.join() !== ta.shape.join()) {
    return `${where}: PyTorch gives ${te.dtype}[${te.shape.join(", ")}], the kit ${ta.dtype}[${ta.shape.join(", ")}]`;
  }
  if (check === "shape") return null;
  if (check === "bound") {
    const bound = num(te.data[0] ?? 0);
    for (let i = 0; i < ta.data.length; i++) {
      const v = num(ta.data[i]!);
      if (!(Math.abs(v) <= bound * (1 + 1e-6))) return `${where}[${i}]: ${v} is outside PyTorch's bound ±${bound}`;
    }
    return null;
  }
  if (e.contiguous !== undefined && a.contiguous !== undefined && e.contiguous !== a.contiguous) {
    return `${where}: PyTorch's result is ${e.contiguous ? "" : "not "}contiguous, the kit's is ${a.contiguous ? "" : "not "}contiguous`;
  }
  for (let i = 0; i < te.data.length; i++) {
    const ev = num(te.data[i]!);
    const av = num(ta.data[i]!);
    if (check === "dropout") {
      if (av !== 0 && !close(ev, av)) return `${where}[${i}]: the kit keeps ${av}, PyTorch's scaled value is ${ev}`;
      continue;
    }
    const ok = te.dtype === "float32" ? close(ev, av) : ev === av;
    if (!ok) return `${where}[${i}]: PyTorch ${ev}, the kit ${av}`;
  }
  return null;
}

export function compareValue(where: string, e: Json, a: Json, check: Check): string | null {
  if (isTensorJson(e)) {
    if (!isTensorJson(a)) return `${where}: PyTorch gives a tensor, the kit ${JSON.stringify(a)?.slice(0, 80)}`;
    return compareTensor(where, e, a, check);
  }
  const en = jsonNumber(e);
  if (en !== null) {
    const an = jsonNumber(a);
    if (an === null) return `${where}: PyTorch gives ${en}, the kit ${JSON.stringify(a)?.slice(0, 80)}`;
    return close(en, an) ? null : `${where}: PyTorch ${en}, the kit ${an}`;
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a) || a.length !== e.length) return `${where}: PyTorch gives a list of ${e.length}, the kit ${JSON.stringify(a)?.slice(0, 80)}`;
    for (let i = 0; i < e.length; i++) {
      const p = compareValue(`${where}[${i}]`, e[i]!, a[i]!, check);
      if (p !== null) return p;
    }
    return null;
  }
  return e === a ? null : `${where}: PyTorch ${JSON.stringify(e)}, the kit ${JSON.stringify(a)}`;
}

/** null when the kit agrees with PyTorch on the case, else what differs. */
export function compareOutcome(c: DiffCase, expected: Outcome, got: Outcome): string | null {
  if (!expected.ok && !got.ok) return got.kitError === false ? `both reject, but the kit with a ${got.error} (not a KitError)` : null;
  if (!expected.ok && got.ok) return `PyTorch rejects (${expected.error}), the kit accepts`;
  if (expected.ok && !got.ok) return `PyTorch accepts, the kit rejects: ${got.error}`;
  if (expected.ok && got.ok) return compareValue("$", expected.value, got.value, c.check ?? "values");
  return null;
}

// ------------------------------------------------------------------ the committed expectations

const JsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)]));
const OutcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: JsonValue }).strict(),
  z.object({ ok: z.literal(false), error: z.string() }).strict(),
]);
const ExpectedCase = z
  .object({
    id: z.string(),
    family: z.string(),
    steps: z.array(z.object({ op: z.string(), args: z.array(JsonValue) }).strict()).min(1),
    check: z.enum(["values", "shape", "dropout", "bound"]).optional(),
    deviation: z.string().optional(),
    expected: OutcomeSchema,
  })
  .strict();
const ExpectedFile = z
  .object({
    oracle: z.object({ torch: z.string(), device: z.string(), dtype: z.string() }).strict(),
    command: z.string(),
    seed: z.number(),
    sha256: z.string(),
    cases: z.array(ExpectedCase),
  })
  .strict();

export type ExpectedDoc = z.infer<typeof ExpectedFile>;

export const EXPECTED_PATH = fileURLToPath(new URL("./expected.json", import.meta.url));

/** oracle/differential/expected.json, validated. */
export function loadExpected(file = EXPECTED_PATH): ExpectedDoc {
  const parsed = ExpectedFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
