import { type WireTensor, wireTensor } from "@tfm/contract";
import { transpile } from "../transpile.ts";

export function fromValues(shape: number[], values: number[]): WireTensor {
  return wireTensor("float32", shape, Float32Array.from(values));
}

export function isWireTensorLike(v: unknown): v is WireTensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "$tensor" in v;
}

/** A test's source, transpiled as a submission is: the code to load, or a thrown error naming the compile errors. */
export async function compiledCode(source: string): Promise<string> {
  const compiled = await transpile(source);
  if (!compiled.ok) throw new Error(`does not compile: ${compiled.errors.map((e) => e.message).join("; ")}`);
  return compiled.code;
}
