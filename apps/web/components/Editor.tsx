"use client";
import { javascript } from "@codemirror/lang-javascript";
import { EditorView, basicSetup } from "codemirror";
import { useEffect, useRef } from "react";

/** CodeMirror 6 with TypeScript highlighting, bundled (nothing from a CDN). */
export function Editor({ initial, label, onChange, resetSignal }: { initial: string; label: string; onChange: (s: string) => void; resetSignal: number }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (host.current === null) return;
    const v = new EditorView({
      doc: initial,
      parent: host.current,
      extensions: [
        basicSetup,
        javascript({ typescript: true }),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) changed.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    return () => v.destroy();
    // The editor is created once; `initial` only matters on mount and on reset.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v === null || resetSignal === 0) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: initial } });
  }, [resetSignal, initial]);

  return <div className="editor" ref={host} data-testid="editor" />;
}
