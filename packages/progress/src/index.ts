export * from "./progress.ts";
export * from "./assignment-score.ts";
