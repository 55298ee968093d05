import { deleteUserSessions } from "@tfm/db";
import type { NextRequest } from "next/server";
import { db } from "@/lib/db.ts";
import { back, beginMutation } from "@/lib/mutation.ts";
import { SESSION_COOKIE } from "@/lib/security.ts";

/** Ends every session of the account, on every device (this one included). */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: true, errorPath: "/account" });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  await deleteUserSessions(await db(), m.user.id);
  const res = back(req, "/signin", { msg: "signedOutEverywhere" });
  res.cookies.delete(SESSION_COOKIE);
  res.headers.set("clear-site-data", '"storage"');
  return res;
}
