export * from "./rng.ts";
export * from "./tensors.ts";
export * from "./define.ts";
export * from "./attention.ts";
export * from "./input-class.ts";
