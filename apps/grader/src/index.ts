export { loadCatalog, type Catalog, type CatalogEntry } from "./catalog.ts";
export { loadRuntime } from "./runtime.ts";
export { gradeSubmission, type GradeJob, GRADER_VERSION } from "./grade.ts";
export { GraderPool } from "./pool.ts";
export { startGrader } from "./server.ts";
export { renderReport } from "./report.ts";
