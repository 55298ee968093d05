import { ConstraintError, NotFoundError, createAssignment, setClassTimeZone } from "@tfm/db";
import type { NextRequest } from "next/server";
import { managedClass } from "@/lib/access.ts";
import { assignmentFromForm, formProblem, itemCatalog } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

/** Creates an assignment (a draft) for the class, or (action=timezone) sets the class's time zone. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const page = `/classes/${id}/assignments`;
  const m = await beginMutation(req, { requireUser: true, errorPath: page });
  if (m instanceof Response) return m;
  const database = await db();
  const cls = await managedClass(database, m.user, id);
  if (cls === null || m.user === null) return fail(req, true, 404, "errNotFound", "");
  const actor = { id: m.user.id, role: m.user.role, displayName: m.user.displayName, email: m.user.email };
  try {
    if (m.fields.action === "timezone") {
      await setClassTimeZone(database, actor, cls.id, (m.fields.timeZone ?? "").trim());
      return back(req, page, { msg: "asgZoneSaved" });
    }
    const tz = await database.run("reading a class's time zone", (p) => p.class.findUniqueOrThrow({ where: { id: cls.id }, select: { timeZone: true } }));
    const input = assignmentFromForm(m.form, m.fields, await itemCatalog(), tz.timeZone);
    const a = await createAssignment(database, actor, cls.id, input);
    if (m.json) return Response.json({ id: a.id }, { status: 201 });
    return back(req, `${page}/${a.id}`, { msg: "asgCreated" });
  } catch (e) {
    const problem = formProblem(e) ?? (e instanceof ConstraintError || e instanceof NotFoundError ? e.message : null);
    if (problem === null) throw e;
    return fail(req, m.json, 400, "errInvalidInput", page, problem);
  }
}
