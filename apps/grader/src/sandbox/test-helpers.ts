import { type WireTensor, wireTensor } from "@tfm/contract";

export function fromValues(shape: number[], values: number[]): WireTensor {
  return wireTensor("float32", shape, Float32Array.from(values));
}

export function isWireTensorLike(v: unknown): v is WireTensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "$tensor" in v;
}
