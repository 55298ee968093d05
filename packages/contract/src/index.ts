export * from "./i18n.ts";
export * from "./ids.ts";
export * from "./wire.ts";
export * from "./exercise.ts";
export * from "./grading.ts";
export * from "./quiz.ts";
