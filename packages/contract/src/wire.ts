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
