import { type MessageKey, type Translator, dictionaries } from "@/lib/i18n.ts";

function isKey(k: string | undefined): k is MessageKey {
  return k !== undefined && k in dictionaries.ja;
}

/** Shows the message a form post redirected back with (?err=key&detail=... or ?msg=key). */
export function Messages({ t, search }: { t: Translator; search: Record<string, string | string[] | undefined> }) {
  const err = typeof search.err === "string" ? search.err : undefined;
  const msg = typeof search.msg === "string" ? search.msg : undefined;
  const detail = typeof search.detail === "string" ? search.detail : "";
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(search)) if (typeof v === "string" && !["err", "msg"].includes(k)) vars[k] = v;
  return (
    <>
      {isKey(err) ? (
        <p className="msg error" role="alert">
          {t(err, { detail, ...vars })}
        </p>
      ) : null}
      {isKey(msg) ? (
        <p className="msg ok" role="status">
          {t(msg, vars)}
        </p>
      ) : null}
    </>
  );
}
