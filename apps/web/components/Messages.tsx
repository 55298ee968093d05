import { cookies } from "next/headers";
import { flash, numericVars } from "@/lib/flash.ts";
import { type MessageKey, type Translator, dictionaries } from "@/lib/i18n.ts";
import { PRESESSION_COOKIE, SESSION_COOKIE } from "@/lib/security.ts";

function isKey(k: string | undefined): k is MessageKey {
  return k !== undefined && k in dictionaries.ja;
}

/**
 * Shows the message a form post redirected back with (?err=key or ?msg=key). The text comes from the
 * dictionaries only; the URL may add small numbers (?minutes=15), and any text detail is looked up on
 * the server by its reference (?ref=..., see lib/flash.ts), never read from the query.
 */
export async function Messages({ t, search }: { t: Translator; search: Record<string, string | string[] | undefined> }) {
  const err = typeof search.err === "string" ? search.err : undefined;
  const msg = typeof search.msg === "string" ? search.msg : undefined;
  if (!isKey(err) && !isKey(msg)) return null;
  const jar = await cookies();
  const stored = flash.get(jar.get(SESSION_COOKIE)?.value ?? jar.get(PRESESSION_COOKIE)?.value, search.ref);
  const vars: Record<string, string> = { detail: "", ...numericVars(search), ...(stored ?? {}) };
  // A message whose values are missing (a forged or expired reference) is not shown half-filled.
  const complete = (key: MessageKey) => [...dictionaries.ja[key].matchAll(/\{(\w+)\}/g)].every((m) => m[1] !== undefined && m[1] in vars);
  return (
    <>
      {isKey(err) && complete(err) ? (
        <p className="msg error" role="alert">
          {t(err, vars)}
        </p>
      ) : null}
      {isKey(msg) && complete(msg) ? (
        <p className="msg ok" role="status">
          {t(msg, vars)}
        </p>
      ) : null}
    </>
  );
}
