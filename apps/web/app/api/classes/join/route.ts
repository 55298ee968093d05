import { NotFoundError, joinClass } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { db } from "@/lib/db.ts";
import { back, backWith, beginMutation, fail } from "@/lib/mutation.ts";

const Form = z.object({ inviteCode: z.string().trim().min(4, "an invite code has 8 letters").max(32) });

export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: true, errorPath: "/classes" });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const form = Form.safeParse(m.fields);
  if (!form.success) return fail(req, m.json, 400, "errInvalidInput", "/classes", form.error.issues.map((i) => i.message).join("; "));
  try {
    const cls = await joinClass(await db(), { userId: m.user.id, inviteCode: form.data.inviteCode });
    return backWith(req, "/classes", { msg: "joined" }, { name: cls.name });
  } catch (e) {
    if (e instanceof NotFoundError) return fail(req, m.json, 404, "errInviteUnknown", "/classes");
    throw e;
  }
}
