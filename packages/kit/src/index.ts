/**
 * @tfm/kit: a small PyTorch-like tensor library for the Transformer chapter's sandboxes.
 * Students use `torch`, `F`, `nn` and `Tensor`; the grader also uses `tensorParts` / `fromParts`.
 */
export { torch } from "./torch.ts";
export { F } from "./functional.ts";
export { nn, Module, Linear, Embedding, LayerNorm, Dropout } from "./nn.ts";
export type { LinearOptions, EmbeddingOptions, LayerNormOptions, DropoutOptions, LoadResult } from "./nn.ts";
export { Tensor, tensorParts, fromParts } from "./tensor.ts";
export type { TensorLike, TensorParts, NestedList, ValuesIndices, VarOptions, ShapeArgs, Scalar } from "./tensor.ts";
export { KitError, KitMemoryError } from "./errors.ts";
export { Generator } from "./random.ts";
export type { DType, Storage } from "./dtype.ts";
export type { DTypeOptions, Nested } from "./creation.ts";
export type { Nonlinearity, FanMode, XavierOptions, KaimingOptions } from "./init.ts";
