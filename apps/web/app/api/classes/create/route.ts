import { createClass } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { isStaff } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

const Form = z.object({ name: z.string().trim().min(1, "a class needs a name").max(200) });

/** Instructors and admins create classes (students cannot own one). */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: true, errorPath: "/classes" });
  if (m instanceof Response) return m;
  if (!isStaff(m.user)) return fail(req, m.json, 404, "errNotFound", "/classes");
  const form = Form.safeParse(m.fields);
  if (!form.success) return fail(req, m.json, 400, "errInvalidInput", "/classes", form.error.issues.map((i) => i.message).join("; "));
  const cls = await createClass(await db(), { name: form.data.name, ownerId: m.user.id });
  return back(req, `/classes/${cls.id}`);
}
