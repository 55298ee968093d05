import { deleteSession } from "@tfm/db";
import type { NextRequest } from "next/server";
import { db } from "@/lib/db.ts";
import { back, beginMutation } from "@/lib/mutation.ts";
import { SESSION_COOKIE } from "@/lib/security.ts";

export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/" });
  if (m instanceof Response) return m;
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  if (token !== undefined) await deleteSession(await db(), token);
  const res = back(req, "/");
  res.cookies.delete(SESSION_COOKIE);
  // Nothing of this account stays in the browser (drafts live on the server; this also clears any
  // copy an older portal kept in localStorage). The sign-out button clears it too, for browsers
  // that ignore this header.
  res.headers.set("clear-site-data", '"storage"');
  return res;
}
