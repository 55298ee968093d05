export * from "./progress.ts";
