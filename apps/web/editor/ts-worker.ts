/**
 * The editor's TypeScript language service, in a web worker: completion, hover and type errors for
 * a submission against the kit's own declarations. Everything it needs is served by the portal
 * (/editor/types.json, made by apps/web/scripts/editor-assets.ts): nothing comes from a CDN.
 */
import { createSystem, createVirtualTypeScriptEnvironment } from "@typescript/vfs";
import { createWorker } from "@valtown/codemirror-ts/worker";
import * as Comlink from "comlink";
import ts from "typescript";
import { SUBMISSION_PATH, editorCompilerOptions } from "./options.ts";

Comlink.expose(
  createWorker(async () => {
    const res = await fetch(new URL("types.json", self.location.href), { credentials: "same-origin" });
    if (!res.ok) throw new Error(`types.json: HTTP ${res.status}`);
    const files = (await res.json()) as Record<string, string>;
    const fsMap = new Map(Object.entries(files));
    // @typescript/vfs takes an empty file for a missing one.
    fsMap.set(SUBMISSION_PATH, "\n");
    const system = createSystem(fsMap);
    const roots = [SUBMISSION_PATH, ...[...fsMap.keys()].filter((f) => f.startsWith("/globals/"))];
    return createVirtualTypeScriptEnvironment(system, roots, ts, editorCompilerOptions(ts));
  }),
);
