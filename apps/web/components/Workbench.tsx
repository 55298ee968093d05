"use client";
import type { GradeResult } from "@tfm/contract";
import { useRouter } from "next/navigation";
import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from "react";
import type { Tolerance } from "@/lib/heatmap-scale.ts";
import { type Lang, type MessageKey, dictionaries, t } from "@/lib/i18n.ts";
import { Editor, markersOf } from "./Editor.tsx";
import { ResultView } from "./ResultView.tsx";

type Phase = { kind: "idle" } | { kind: "running" } | { kind: "queued"; id: string; status: string } | { kind: "error"; text: string };

function errorText(lang: Lang, body: unknown): string {
  const b = (body ?? {}) as { error?: string; detail?: string; seconds?: number; message?: { ja: string; en: string } };
  if (b.message !== undefined) return b.message[lang];
  const key = (b.error !== undefined && b.error in dictionaries.ja ? b.error : "errGeneric") as MessageKey;
  return t(lang, key, { detail: b.detail ?? "", seconds: b.seconds ?? 0 });
}

type SaveState = "saved" | "saving" | "unsaved" | "failed";

/** How often a changed draft is saved to the server (and once more when the page is left). */
const AUTOSAVE_MS = 3_000;

/**
 * The exercise's editor with "run public tests" and "submit", a progress indicator and the result.
 * The draft lives on the server per account (`initial` is this account's saved draft or the starter),
 * saved every few seconds while it changes: it follows the account to any device, and nothing of it
 * is kept in the browser. Ctrl/Cmd+Enter runs the public tests; Ctrl/Cmd+Shift+Enter submits.
 */
export function Workbench({ exerciseId, starter, initial, lang, csrf, tolerance }: { exerciseId: string; starter: string; initial: string; lang: Lang; csrf: string; tolerance: Tolerance }) {
  const router = useRouter();
  const source = useRef(initial);
  const saved = useRef(initial);
  const [reset, setReset] = useState(0);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [result, setResult] = useState<GradeResult | null>(null);
  const [saveState, setSaveState] = useState<SaveState>("saved");

  // Older versions kept drafts in localStorage, keyed by exercise only (so the next user of the browser
  // saw them): remove any such copy.
  useEffect(() => {
    try {
      for (const key of Object.keys(window.localStorage)) if (key.startsWith("tfm:draft:")) window.localStorage.removeItem(key);
    } catch {
      // storage disabled
    }
  }, []);

  const save = useCallback(
    async (keepalive = false) => {
      const text = source.current;
      if (text === saved.current) return;
      setSaveState("saving");
      try {
        const res = await fetch(`/api/exercises/${exerciseId}/draft`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify({ source: text }),
          keepalive,
        });
        if (!res.ok) return setSaveState("failed");
        saved.current = text;
        setSaveState(source.current === text ? "saved" : "unsaved");
      } catch {
        setSaveState("failed");
      }
    },
    [exerciseId, csrf],
  );

  useEffect(() => {
    const timer = setInterval(() => void save(), AUTOSAVE_MS);
    const leave = () => void save(true);
    const hidden = () => {
      if (document.visibilityState === "hidden") leave();
    };
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", hidden);
    return () => {
      clearInterval(timer);
      window.removeEventListener("pagehide", leave);
      document.removeEventListener("visibilitychange", hidden);
    };
  }, [save]);

  const onChange = useCallback((s: string) => {
    source.current = s;
    setSaveState((prev) => (prev === "saving" ? prev : "unsaved"));
  }, []);

  async function post(path: string, extra: Record<string, string> = {}): Promise<{ ok: boolean; status: number; body: unknown }> {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ source: source.current, ...extra }),
    });
    return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
  }

  async function run() {
    void save();
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
    void save();
    setPhase({ kind: "running" });
    setResult(null);
    try {
      // One key per click: if the answer is lost, the same submission is sent again, never stored twice.
      const idempotencyKey = crypto.randomUUID();
      const send = () => post(`/api/exercises/${exerciseId}/submit`, { idempotencyKey });
      const r = await send().catch(send);
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

  function resetToStarter() {
    if (!window.confirm(t(lang, "confirmResetStarter"))) return;
    setReset((n) => n + 1);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey) || busy) return;
    e.preventDefault();
    if (e.shiftKey) void submit();
    else void run();
  }

  return (
    <div onKeyDown={onKeyDown}>
      <h2 id="editor-title">{t(lang, "editorLabel")}</h2>
      <Editor initial={reset === 0 ? initial : starter} label={t(lang, "editorLabel")} onChange={onChange} resetSignal={reset} markers={markersOf(result, lang)} />
      <p className="hint" data-testid="draft-state" data-state={saveState}>
        {t(lang, saveState === "saved" ? "draftSaved" : saveState === "saving" ? "draftSaving" : saveState === "failed" ? "draftSaveFailed" : "draftUnsaved")}
      </p>
      <div className="actions">
        <button type="button" onClick={run} disabled={busy} data-testid="run">
          {t(lang, "runPublic")}
        </button>
        <button type="button" onClick={submit} disabled={busy} data-testid="submit">
          {t(lang, "submit")}
        </button>
        <button type="button" className="secondary" onClick={resetToStarter} disabled={busy} data-testid="reset">
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
      {result !== null ? <ResultView result={result} lang={lang} tolerance={tolerance} /> : null}
    </div>
  );
}
