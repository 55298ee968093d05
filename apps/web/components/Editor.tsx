"use client";
import { autocompletion } from "@codemirror/autocomplete";
import { javascript } from "@codemirror/lang-javascript";
import { type Diagnostic, forceLinting, lintGutter, linter } from "@codemirror/lint";
import { Compartment, Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import type { GradeResult } from "@tfm/contract";
import { tsAutocompleteWorker, tsFacetWorker, tsHoverWorker, tsLinterWorker, tsSyncWorker } from "@valtown/codemirror-ts";
import type { WorkerShape } from "@valtown/codemirror-ts/worker";
import { EditorView, basicSetup } from "codemirror";
import * as Comlink from "comlink";
import { useEffect, useRef, useState } from "react";
import { type Lang, t } from "@/lib/i18n.ts";

/** A line the grader points at in the code that was graded: a compile error or where a runtime error was thrown. */
export interface GraderMarker {
  line: number;
  column: number | null;
  message: string;
}

/** The places a result points at in the student's code. */
export function markersOf(result: GradeResult | null, lang: Lang): GraderMarker[] {
  if (result === null) return [];
  const out: GraderMarker[] = result.compileErrors.map((e) => ({ line: e.line, column: e.column, message: e.message }));
  const r = result.runtimeError;
  if (r !== null && r.line !== null) out.push({ line: r.line, column: r.column, message: `${r.name}: ${r.message[lang]}` });
  return out;
}

const SUBMISSION_PATH = "/submission.ts";

function pageLang(): Lang {
  return typeof document !== "undefined" && document.documentElement.lang === "en" ? "en" : "ja";
}

/**
 * CodeMirror 6 with TypeScript highlighting and, once its web worker is up, TypeScript's own
 * completion, hover help and type errors against the kit's declarations (all served by the portal;
 * nothing from a CDN). Lines the grader reported are marked until the code is edited.
 */
export function Editor({
  initial,
  label,
  onChange,
  resetSignal,
  markers = [],
}: {
  initial: string;
  label: string;
  onChange: (s: string) => void;
  resetSignal: number;
  markers?: GraderMarker[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const graderMarks = useRef<GraderMarker[]>(markers);
  const [tsState, setTsState] = useState<"loading" | "ready" | "off">("loading");
  const [lang, setLang] = useState<Lang>("ja");

  useEffect(() => {
    setLang(pageLang());
    if (host.current === null) return;
    const typescript = new Compartment();
    const v = new EditorView({
      doc: initial,
      parent: host.current,
      extensions: [
        // Ctrl/Cmd+Enter belong to the page (run / submit): CodeMirror must not also insert a line.
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => true }, { key: "Mod-Shift-Enter", run: () => true }])),
        basicSetup,
        javascript({ typescript: true }),
        lintGutter(),
        linter(
          (ev) =>
            graderMarks.current.flatMap((m): Diagnostic[] => {
              if (m.line > ev.state.doc.lines) return [];
              const line = ev.state.doc.line(m.line);
              const from = Math.min(line.to, line.from + Math.max(0, (m.column ?? 1) - 1));
              return [{ from, to: Math.max(from, line.to), severity: "error", source: "grader", message: m.message }];
            }),
          { delay: 0 },
        ),
        typescript.of([]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          // The grader's marks describe the code that was graded, not the code being edited.
          graderMarks.current = [];
          changed.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;

    let worker: Worker | null = null;
    let cancelled = false;
    try {
      worker = new Worker("/editor/ts-worker.js", { name: "typescript" });
      const remote = Comlink.wrap<WorkerShape>(worker);
      void remote
        .initialize()
        .then(() => {
          if (cancelled) return;
          v.dispatch({
            effects: typescript.reconfigure([
              tsFacetWorker.of({ worker: remote, path: SUBMISSION_PATH }),
              tsSyncWorker(),
              tsLinterWorker(),
              autocompletion({ override: [tsAutocompleteWorker()] }),
              tsHoverWorker(),
            ]),
          });
          setTsState("ready");
        })
        .catch(() => !cancelled && setTsState("off"));
    } catch {
      setTsState("off");
    }
    return () => {
      cancelled = true;
      worker?.terminate();
      v.destroy();
    };
    // The editor is created once; `initial` only matters on mount and on reset.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v === null || resetSignal === 0) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: initial } });
  }, [resetSignal, initial]);

  const markerKey = JSON.stringify(markers);
  useEffect(() => {
    graderMarks.current = markers;
    const v = view.current;
    if (v !== null) forceLinting(v);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [markerKey]);

  return (
    <>
      <div className="editor" ref={host} data-testid="editor" data-typescript={tsState} />
      <p className="hint editor-help" data-testid="editor-help">
        {tsState === "loading" ? `${t(lang, "editorLoading")} ` : null}
        {t(lang, "editorHelp")} <a href="/kit">{t(lang, "editorHelpLink")}</a>
      </p>
    </>
  );
}
