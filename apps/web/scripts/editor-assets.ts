import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import ts from "typescript";
import { KIT_TYPES_DIR, editorCompilerOptions } from "../editor/options.ts";
import { ROOT, WEB_DIR } from "./build.ts";

/**
 * The editor's TypeScript help, served by the portal itself (nothing from a CDN):
 *   public/editor/ts-worker.js  the language service in a web worker (TypeScript, @typescript/vfs, comlink)
 *   public/editor/types.json    ES2022's lib files, the sandbox's globals and the kit's declarations
 * Made before every `next build` (apps/web/scripts/build.ts) and by hand with
 *   node --import tsx apps/web/scripts/editor-assets.ts
 */
export const EDITOR_ASSETS_DIR = path.join(WEB_DIR, "public/editor");
const KIT_INDEX = path.join(ROOT, "packages/kit/src/index.ts");
const TS_LIB_DIR = path.dirname(require_resolve("typescript/lib/lib.es5.d.ts"));

function require_resolve(spec: string): string {
  return path.join(ROOT, "node_modules", spec);
}

/** The sandbox's globals beyond ES2022: console is wired to the result's output. */
const SANDBOX_GLOBALS = `interface SandboxConsole {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
}
declare var console: SandboxConsole;
`;

/** lib.es2022.d.ts and every lib file it references. */
function libFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (name: string) => {
    const file = `lib.${name}.d.ts`;
    if (`/${file}` in out) return;
    const text = readFileSync(path.join(TS_LIB_DIR, file), "utf8");
    out[`/${file}`] = text;
    for (const m of text.matchAll(/\/\/\/\s*<reference lib="([^"]+)"\s*\/>/g)) visit(m[1] ?? "");
  };
  visit("es2022");
  return out;
}

/** The kit's public declarations, emitted from its sources. */
export function kitDeclarations(): Record<string, string> {
  const out: Record<string, string> = {};
  const program = ts.createProgram([KIT_INDEX], {
    ...editorCompilerOptions(ts),
    lib: undefined,
    types: undefined,
    paths: undefined,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    stripInternal: true,
    rootDir: path.dirname(KIT_INDEX),
    outDir: "/out",
  });
  const emitted = program.emit(undefined, (fileName, text) => {
    out[`${KIT_TYPES_DIR}/${path.relative("/out", fileName)}`] = text;
  });
  const errors = emitted.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" }));
  if (out[`${KIT_TYPES_DIR}/index.d.ts`] === undefined) throw new Error(`no ${KIT_TYPES_DIR}/index.d.ts in the kit's declarations`);
  return out;
}

export function editorTypes(): Record<string, string> {
  return { ...libFiles(), "/globals/sandbox.d.ts": SANDBOX_GLOBALS, ...kitDeclarations() };
}

export async function buildEditorAssets(): Promise<void> {
  mkdirSync(EDITOR_ASSETS_DIR, { recursive: true });
  writeFileSync(path.join(EDITOR_ASSETS_DIR, "types.json"), JSON.stringify(editorTypes()));
  await build({
    entryPoints: [path.join(WEB_DIR, "editor/ts-worker.ts")],
    outfile: path.join(EDITOR_ASSETS_DIR, "ts-worker.js"),
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    legalComments: "linked",
    // TypeScript reaches for Node's modules only when it runs under Node; in a worker it never does.
    external: ["fs", "path", "os", "crypto", "inspector", "perf_hooks", "buffer", "module", "source-map-support", "node:*"],
    logLevel: "warning",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildEditorAssets();
  console.log(`wrote ${path.relative(process.cwd(), EDITOR_ASSETS_DIR)}/ts-worker.js and types.json`);
}
