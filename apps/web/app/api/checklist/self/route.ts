import { recordSelfAssessment } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { db } from "@/lib/db.ts";
import { getChecklist } from "@/lib/grader.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";
import { refreshProgress } from "@/lib/progress.ts";

const Form = z.object({ itemId: z.string().min(1).max(100), checked: z.enum(["true", "false"]) });

/** Ticks or unticks a self-assessed item (only items whose evidence is the learner's own word). */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: true, errorPath: "/checklist" });
  if (m instanceof Response) return m;
  const user = m.user;
  if (user === null) return back(req, "/signin");
  const form = Form.safeParse(m.fields);
  if (!form.success) return fail(req, m.json, 400, "errInvalidInput", "/checklist", form.error.issues.map((i) => i.message).join("; "));
  const item = (await getChecklist()).items.find((i) => i.id === form.data.itemId);
  if (item === undefined || item.evidence.kind !== "self") return fail(req, m.json, 400, "errInvalidInput", "/checklist", "not a self-assessed item");
  const database = await db();
  await recordSelfAssessment(database, { userId: user.id, itemId: item.id, checked: form.data.checked === "true" });
  await refreshProgress(database, user.id);
  return back(req, "/checklist");
}
