export * from "./backend.ts";
export * from "./wire-tf.ts";
export * from "./attention.ts";
