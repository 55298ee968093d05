"use client";
import type { GradeResult } from "@tfm/contract";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Lang, type MessageKey, dictionaries, t } from "@/lib/i18n.ts";
import { Editor } from "./Editor.tsx";
import { ResultView } from "./ResultView.tsx";

type Phase = { kind: "idle" } | { kind: "running" } | { kind: "queued"; id: string; status: string } | { kind: "error"; text: string };

function errorText(lang: Lang, body: unknown): string {
  const b = (body ?? {}) as { error?: string; detail?: string; seconds?: number; message?: { ja: string; en: string } };
  if (b.message !== undefined) return b.message[lang];
  const key = (b.error !== undefined && b.error in dictionaries.ja ? b.error : "errGeneric") as MessageKey;
  return t(lang, key, { detail: b.detail ?? "", seconds: b.seconds ?? 0 });
}

/** The exercise's editor with "run public tests" and "submit", a progress indicator and the result. */
export function Workbench({ exerciseId, starter, lang, csrf }: { exerciseId: string; starter: string; lang: Lang; csrf: string }) {
  const router = useRouter();
  const draftKey = `tfm:draft:${exerciseId}`;
  const [initial] = useState(() => (typeof window === "undefined" ? starter : (window.localStorage.getItem(draftKey) ?? starter)));
  const source = useRef(initial);
  const [reset, setReset] = useState(0);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [result, setResult] = useState<GradeResult | null>(null);

  const onChange = useCallback(
    (s: string) => {
      source.current = s;
      window.localStorage.setItem(draftKey, s);
    },
    [draftKey],
  );

  async function post(path: string): Promise<{ ok: boolean; status: number; body: unknown }> {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ source: source.current }),
    });
    return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
  }

  async function run() {
    setPhase({ kind: "running" });
    setResult(null);
    try {
      const r = await post(`/api/exercises/${exerciseId}/run`);
      if (!r.ok) return setPhase({ kind: "error", text: errorText(lang, r.body) });
      setResult((r.body as { result: GradeResult }).result);
      setPhase({ kind: "idle" });
    } catch {
      setPhase({ kind: "error", text: t(lang, "errGrader") });
    }
  }

  async function submit() {
    setPhase({ kind: "running" });
    setResult(null);
    try {
      const r = await post(`/api/exercises/${exerciseId}/submit`);
      if (!r.ok) return setPhase({ kind: "error", text: errorText(lang, r.body) });
      setPhase({ kind: "queued", id: (r.body as { id: string }).id, status: "queued" });
    } catch {
      setPhase({ kind: "error", text: t(lang, "errGrader") });
    }
  }

  const pollingId = phase.kind === "queued" ? phase.id : null;
  useEffect(() => {
    if (pollingId === null) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const res = await fetch(`/api/submissions/${pollingId}`, { cache: "no-store" });
        const body = (await res.json()) as { status: string; result: GradeResult | null };
        if (stop) return;
        if (body.status === "done" || body.status === "failed") {
          setResult(body.result);
          setPhase({ kind: "idle" });
          router.refresh();
          return;
        }
        setPhase({ kind: "queued", id: pollingId, status: body.status });
      } catch {
        // a dropped poll is retried on the next tick
      }
      timer = setTimeout(tick, 1000);
    };
    timer = setTimeout(tick, 700);
    return () => {
      stop = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [pollingId, router]);

  const busy = phase.kind === "running" || phase.kind === "queued";
  return (
    <div>
      <h2 id="editor-title">{t(lang, "editorLabel")}</h2>
      <Editor initial={reset === 0 ? initial : starter} label={t(lang, "editorLabel")} onChange={onChange} resetSignal={reset} />
      <div className="actions">
        <button type="button" onClick={run} disabled={busy} data-testid="run">
          {t(lang, "runPublic")}
        </button>
        <button type="button" onClick={submit} disabled={busy} data-testid="submit">
          {t(lang, "submit")}
        </button>
        <button type="button" className="secondary" onClick={() => setReset((n) => n + 1)} disabled={busy}>
          {t(lang, "resetStarter")}
        </button>
        <span role="status" aria-live="polite" data-testid="phase">
          {busy ? (
            <>
              <span className="spinner" aria-hidden="true" /> {phase.kind === "queued" && phase.status === "queued" ? t(lang, "queued") : t(lang, "grading")}
            </>
          ) : null}
        </span>
      </div>
      {phase.kind === "error" ? (
        <p className="msg error" role="alert">
          {phase.text}
        </p>
      ) : null}
      {result !== null ? <ResultView result={result} lang={lang} /> : null}
    </div>
  );
}
