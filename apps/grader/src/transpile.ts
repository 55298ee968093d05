import { createHash } from "node:crypto";
import type { CompileError } from "@tfm/contract";
import * as esbuild from "esbuild";

export const KIT_MODULE = "@tfm/kit";

export type TranspileOutcome =
  | { ok: true; code: string; sourceMap: string }
  | { ok: false; errors: CompileError[] };

/** esbuild plugin: the kit is the one module a submission may import; anything else is a compile error. */
const onlyKit: esbuild.Plugin = {
  name: "only-kit",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      if (args.path === KIT_MODULE) return { path: KIT_MODULE, external: true };
      // require("x") stays a call: the sandbox's require answers it with a runtime error.
      if (args.kind === "require-call") return { path: args.path, external: true };
      return {
        errors: [
          {
            text: `Cannot import '${args.path}': only '${KIT_MODULE}' can be imported in a submission / 提出コードで import できるのは '${KIT_MODULE}' だけです`,
          },
        ],
      };
    });
  },
};

/**
 * Outcomes of recent sources by content hash: esbuild's output is a function of the source alone, so
 * a source seen before (a resubmission, a regrade, the same starter code) is not transpiled again.
 */
const recent = new Map<string, TranspileOutcome>();
const RECENT_MAX = 256;
export const transpileCache = { hits: 0, misses: 0 };

/** TypeScript -> one CommonJS script for the sandbox, with a source map back to the student's file. */
export async function transpile(source: string): Promise<TranspileOutcome> {
  const key = createHash("sha256").update(source).digest("base64");
  const found = recent.get(key);
  if (found !== undefined) {
    transpileCache.hits++;
    recent.delete(key);
    recent.set(key, found);
    return found;
  }
  transpileCache.misses++;
  const outcome = await transpileNow(source);
  recent.set(key, outcome);
  if (recent.size > RECENT_MAX) {
    const oldest = recent.keys().next().value;
    if (oldest !== undefined) recent.delete(oldest);
  }
  return outcome;
}

async function transpileNow(source: string): Promise<TranspileOutcome> {
  try {
    const result = await esbuild.build({
      stdin: { contents: source, loader: "ts", sourcefile: "submission.ts" },
      bundle: true,
      format: "cjs",
      platform: "neutral",
      target: "es2022",
      outfile: "submission.js",
      sourcemap: "external",
      write: false,
      logLevel: "silent",
      plugins: [onlyKit],
      supported: { "dynamic-import": false },
    });
    let code = "";
    let sourceMap = "";
    for (const file of result.outputFiles) {
      if (file.path.endsWith(".map")) sourceMap = file.text;
      else code = file.text;
    }
    return { ok: true, code, sourceMap };
  } catch (e) {
    if (isBuildFailure(e)) {
      return { ok: false, errors: e.errors.map((m) => toCompileError(m, source)) };
    }
    throw e;
  }
}

function isBuildFailure(e: unknown): e is esbuild.BuildFailure {
  return typeof e === "object" && e !== null && "errors" in e && Array.isArray((e as { errors: unknown }).errors);
}

function toCompileError(m: esbuild.Message, source: string): CompileError {
  const loc = m.location;
  const line = loc?.line ?? 1;
  const lineText = loc?.lineText ?? source.split("\n")[line - 1] ?? "";
  return { line: Math.max(1, line), column: (loc?.column ?? 0) + 1, message: m.text, lineText };
}
