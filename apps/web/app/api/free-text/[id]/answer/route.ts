import { submitFreeText } from "@tfm/db";
import type { NextRequest } from "next/server";
import { db } from "@/lib/db.ts";
import { GraderRejectedError, answerFreeText, getFreeText } from "@/lib/grader.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

/** Checks the answer with the grader (length, emptiness), stores it for the instructor's review queue. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const path = `/free-text/${id}`;
  const m = await beginMutation(req, { requireUser: true, errorPath: path });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const text = m.fields.text ?? "";
  // The id comes from the URL: only a problem of the catalog goes on to the grader.
  if ((await getFreeText(id)) === null) return fail(req, m.json, 404, "errNotFound", "/exercises");
  try {
    await answerFreeText(id, { text, lang: m.lang });
  } catch (e) {
    if (e instanceof GraderRejectedError) return fail(req, m.json, e.status === 404 ? 404 : 400, e.status === 404 ? "errNotFound" : "errInvalidInput", path, e.detail);
    throw e;
  }
  await submitFreeText(await db(), { userId: m.user.id, problemId: id, text, lang: m.lang });
  return back(req, path, { msg: "freeTextSubmitted" });
}
