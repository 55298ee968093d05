import { z } from "zod";

/**
 * Values that cross the sandbox boundary (both directions) and live in test cases. Tensors are
 * tagged objects with a typed array; everything else is plain data. Only copies cross.
 */
export const DTYPES = ["float32", "int32", "bool"] as const;
export const DType = z.enum(DTYPES);
export type DType = z.infer<typeof DType>;

export type TypedData = Float32Array | Int32Array | Uint8Array;

export interface WireTensor {
  $tensor: { dtype: DType; shape: number[]; data: TypedData };
}

export type WireValue =
  | null
  | boolean
  | number
  | string
  | WireTensor
  | WireValue[]
  | { [key: string]: WireValue };

const dataForDtype = {
  float32: z.instanceof(Float32Array),
  int32: z.instanceof(Int32Array),
  bool: z.instanceof(Uint8Array),
} as const;

export const WireTensorSchema: z.ZodType<WireTensor> = z
  .object({
    $tensor: z
      .object({
        dtype: DType,
        shape: z.array(z.number().int().nonnegative()).max(8),
        data: z.union([z.instanceof(Float32Array), z.instanceof(Int32Array), z.instanceof(Uint8Array)]),
      })
      .strict()
      .superRefine((t, ctx) => {
        if (!dataForDtype[t.dtype].safeParse(t.data).success) {
          ctx.addIssue({ code: "custom", message: `tensor data does not match dtype ${t.dtype}` });
        }
        const n = t.shape.reduce((a, b) => a * b, 1);
        if (n !== t.data.length) {
          ctx.addIssue({
            code: "custom",
            message: `tensor of shape [${t.shape.join(", ")}] needs ${n} values but has ${t.data.length}`,
          });
        }
      }),
  })
  .strict();

export const WireValueSchema: z.ZodType<WireValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    // NaN and Infinity must cross so that the comparison can reject them with a clear message.
    z.custom<number>((v) => typeof v === "number", "expected a number"),
    z.string(),
    WireTensorSchema,
    z.array(WireValueSchema),
    z
      .record(z.string(), WireValueSchema)
      .refine((o) => !Object.hasOwn(o, "$tensor"), "an object with a $tensor key must be a valid tensor"),
  ]),
);

export function isWireTensor(v: WireValue | undefined): v is WireTensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "$tensor" in v;
}

export function wireTensor(dtype: DType, shape: number[], data: TypedData): WireTensor {
  return { $tensor: { dtype, shape: [...shape], data } };
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Where and why a value is not a WireValue (readWireValue). */
export interface WireValueProblem {
  path: (string | number)[];
  message: string;
}

const TENSOR_KEYS = new Set(["dtype", "shape", "data"]);
const DATA_CLASS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;
const MAX_TENSOR_RANK = 8;

function isPlainRecord(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `v` is a WireValue: the same rules as WireValueSchema, checked by one walk (the grader
 * reads every result a submission returns with it: zod took ~280 ms for 100,000 strings, charged to
 * the student's time, where this takes about a millisecond). Returns the first problem, or null.
 * Meant for plain data (what a structured copy gives); test/wire-reader.test.ts holds it to the schema.
 */
export function wireValueProblem(v: unknown, path: (string | number)[] = [], depth = 0): WireValueProblem | null {
  if (depth > 64) return { path, message: "nested too deeply" };
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return null;
  if (typeof v !== "object") return { path, message: `a ${typeof v} cannot be a result` };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = wireValueProblem(v[i], path, depth + 1);
      // The element was checked with this array's own path (no array per element): its index goes in now.
      if (p !== null) return { path: [...path, i, ...p.path.slice(path.length)], message: p.message };
    }
    return null;
  }
  if (!isPlainRecord(v)) return { path, message: "an object that is not plain data cannot be a result" };
  const keys = Object.keys(v);
  if (Object.hasOwn(v, "$tensor")) return keys.length === 1 ? tensorProblem((v as { $tensor: unknown }).$tensor, [...path, "$tensor"]) : { path, message: "an object with a $tensor key must be a valid tensor" };
  for (const key of keys) {
    const p = wireValueProblem((v as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (p !== null) return p;
  }
  return null;
}

function tensorProblem(t: unknown, path: (string | number)[]): WireValueProblem | null {
  if (t === null || typeof t !== "object" || Array.isArray(t) || !isPlainRecord(t)) return { path, message: "a tensor needs { dtype, shape, data }" };
  for (const key of Object.keys(t)) if (!TENSOR_KEYS.has(key)) return { path: [...path, key], message: `unknown tensor field '${key.slice(0, 40)}'` };
  const { dtype, shape, data } = t as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") return { path: [...path, "dtype"], message: "dtype must be float32, int32 or bool" };
  if (!Array.isArray(shape) || shape.length > MAX_TENSOR_RANK) return { path: [...path, "shape"], message: `shape must be an array of at most ${MAX_TENSOR_RANK} sizes` };
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return { path: [...path, "shape", i], message: "sizes must be non-negative integers" };
    n *= d;
  }
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array)) return { path: [...path, "data"], message: "data must be a Float32Array, Int32Array or Uint8Array" };
  if (!(data instanceof DATA_CLASS[dtype])) return { path, message: `tensor data does not match dtype ${dtype}` };
  if (n !== data.length) return { path, message: `tensor of shape [${shape.join(", ")}] needs ${n} values but has ${data.length}` };
  return null;
}
