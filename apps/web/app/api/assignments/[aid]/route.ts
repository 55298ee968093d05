import {
  ConstraintError,
  NotFoundError,
  ScoreChangeError,
  deleteAssignment,
  getAssignment,
  grantExtension,
  overrideScore,
  revokeExtension,
  setPublished,
  updateAssignment,
} from "@tfm/db";
import { localToUtc } from "@tfm/progress";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { managedClass } from "@/lib/access.ts";
import { assignmentFromForm, formProblem, itemCatalog } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

const Action = z.enum(["update", "publish", "unpublish", "delete", "extend", "revoke", "override"]);
/** "" or a percentage 0..100 with up to two decimals. */
const Percent = z
  .string()
  .trim()
  .regex(/^(\d{1,3}(\.\d{1,2})?)?$/, "the score is a percentage such as 85 or 92.5");

/** Every change to one assignment, each checked against the class's instructor and audited by the data layer. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ aid: string }> }) {
  const { aid } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: "/classes" });
  if (m instanceof Response) return m;
  const database = await db();
  let assignment;
  try {
    assignment = await getAssignment(database, aid);
  } catch (e) {
    if (e instanceof NotFoundError) return fail(req, true, 404, "errNotFound", "");
    throw e;
  }
  // Another instructor's (or a student's) request is answered like an unknown id.
  const cls = await managedClass(database, m.user, assignment.classId);
  if (cls === null || m.user === null) return fail(req, true, 404, "errNotFound", "");
  const actor = { id: m.user.id, role: m.user.role, displayName: m.user.displayName, email: m.user.email };
  const page = `/classes/${cls.id}/assignments/${aid}`;
  const action = Action.safeParse(m.fields.action);
  if (!action.success) return fail(req, m.json, 400, "errInvalidInput", page, "unknown action");
  try {
    switch (action.data) {
      case "update": {
        const input = assignmentFromForm(m.form, m.fields, await itemCatalog(), assignment.timeZone);
        const r = await updateAssignment(database, actor, aid, input, { confirmScoreChange: m.fields.confirmScoreChange === "yes" });
        return r.affectedStudents > 0 ? back(req, page, { msg: "asgSavedAffected", count: String(r.affectedStudents) }) : back(req, page, { msg: "asgSaved" });
      }
      case "publish":
      case "unpublish":
        await setPublished(database, actor, aid, action.data === "publish");
        return back(req, page, { msg: action.data === "publish" ? "asgPublishedMsg" : "asgUnpublishedMsg" });
      case "delete":
        if (m.fields.confirm !== "yes") return fail(req, m.json, 400, "errInvalidInput", page, "tick the confirmation to delete");
        await deleteAssignment(database, actor, aid);
        return back(req, `/classes/${cls.id}/assignments`, { msg: "asgDeleted" });
      case "extend": {
        const dueAt = localToUtc(m.fields.dueAt ?? "", assignment.timeZone);
        try {
          await grantExtension(database, actor, aid, { userId: m.fields.userId ?? "", itemKey: m.fields.itemKey ?? "", dueAt, reason: m.fields.reason ?? "" });
        } catch (e) {
          const problem = formProblem(e) ?? (e instanceof ConstraintError || e instanceof NotFoundError ? e.message : null);
          if (problem === null) throw e;
          return fail(req, m.json, 400, "asgErrExtension", page, problem);
        }
        return back(req, page, { msg: "asgExtGranted" });
      }
      case "revoke":
        await revokeExtension(database, actor, aid, m.fields.userId ?? "", m.fields.itemKey ?? "");
        return back(req, page, { msg: "asgExtRevoked" });
      case "override": {
        const pct = Percent.parse(m.fields.score ?? "");
        const score = pct === "" ? null : Number(pct) / 100;
        await overrideScore(database, actor, aid, { userId: m.fields.userId ?? "", itemKey: m.fields.itemKey ?? "", score, comment: m.fields.comment ?? "" });
        return back(req, page, { msg: "asgOverrideSaved" });
      }
    }
  } catch (e) {
    if (e instanceof ScoreChangeError) return fail(req, m.json, 409, "asgErrScoreChange", page, String(e.affectedStudents));
    const problem = formProblem(e) ?? (e instanceof ConstraintError || e instanceof NotFoundError ? e.message : null);
    if (problem === null) throw e;
    return fail(req, m.json, 400, "errInvalidInput", page, problem);
  }
}
