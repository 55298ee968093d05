"use client";
import { useEffect } from "react";

const KEY = "tfm:carry";

interface Carried {
  path: string;
  fields: { form: number; name: string; type: string; value: string; checked: boolean }[];
}

/** The typed-in fields of the page's forms (never passwords, hidden or file fields). */
function collect(): Carried {
  const fields: Carried["fields"] = [];
  document.querySelectorAll("main form").forEach((form, formIndex) => {
    form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>("input, textarea, select").forEach((el) => {
      const type = el instanceof HTMLInputElement ? el.type : el.tagName.toLowerCase();
      if (el.name === "" || ["password", "hidden", "file", "submit", "button"].includes(type)) return;
      const checkable = type === "radio" || type === "checkbox";
      if (checkable ? !(el as HTMLInputElement).checked : el.value === "") return;
      fields.push({ form: formIndex, name: el.name, type, value: el.value.slice(0, 20_000), checked: checkable });
    });
  });
  return { path: location.pathname + location.search, fields };
}

/**
 * The ja/en switch. It posts to /api/lang, which reloads the page in the other language; what the
 * visitor had typed into the page's forms (quiz answers, a free-text answer, sign-up fields other than
 * the password) is carried over through sessionStorage of this tab and put back after the reload, then
 * dropped. (The editor's code is saved on the server as a draft anyway.)
 */
export function LangSwitch({ csrf, lang, label, text }: { csrf: string; lang: "ja" | "en"; label: string; text: string }) {
  useEffect(() => {
    let carried: Carried | null = null;
    try {
      const raw = sessionStorage.getItem(KEY);
      sessionStorage.removeItem(KEY);
      carried = raw === null ? null : (JSON.parse(raw) as Carried);
    } catch {
      carried = null;
    }
    if (carried === null || carried.path !== location.pathname + location.search) return;
    const forms = document.querySelectorAll("main form");
    for (const f of carried.fields) {
      const form = forms[f.form];
      if (form === undefined) continue;
      for (const el of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(`[name="${CSS.escape(f.name)}"]`)) {
        if (f.checked && el instanceof HTMLInputElement) {
          if (el.value === f.value) el.checked = true;
        } else if (!(el instanceof HTMLInputElement && ["password", "hidden"].includes(el.type))) {
          el.value = f.value;
        }
      }
    }
  }, []);
  function carry() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(collect()));
    } catch {
      // storage full or disabled: the switch still works, the fields start empty
    }
  }
  const other = lang === "ja" ? "en" : "ja";
  return (
    <form method="post" action="/api/lang" onSubmit={carry}>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="lang" value={other} />
      <button type="submit" className="secondary" title={label} lang={other}>
        {text}
      </button>
    </form>
  );
}
