import type ts from "typescript";

/** The file name the editor's text has inside the language service. */
export const SUBMISSION_PATH = "/submission.ts";
/** Where the kit's declarations live inside the language service. */
export const KIT_TYPES_DIR = "/kit";

/** What the grader accepts: an ES2022 module in strict mode that imports @tfm/kit and nothing else. */
export function editorCompilerOptions(t: typeof ts): ts.CompilerOptions {
  return {
    target: t.ScriptTarget.ES2022,
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts"],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    paths: { "@tfm/kit": [`${KIT_TYPES_DIR}/index.d.ts`] },
  };
}
