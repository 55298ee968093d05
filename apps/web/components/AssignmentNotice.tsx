import { assignmentsWithItem } from "@tfm/db";
import { type ItemKind, assignmentPhase, effectiveClose, formatInZone } from "@tfm/progress";
import { title } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import type { Lang, Translator } from "@/lib/i18n.ts";

/**
 * On an exercise, quiz or free-text page: the student's published assignments that contain this item.
 * Practice stays allowed after an assignment closes; the page then says plainly that it does not count.
 */
export async function AssignmentNotice({ userId, kind, itemId, t, lang }: { userId: string; kind: ItemKind; itemId: string; t: Translator; lang: Lang }) {
  const found = await assignmentsWithItem(await db(), userId, kind, itemId);
  if (found.length === 0) return null;
  const now = new Date();
  return (
    <>
      {found.map(({ assignment: a, dueAt }) => {
        const phase = assignmentPhase(a, dueAt, now);
        if (phase === "not_open") return null;
        const close = effectiveClose(a, dueAt);
        return phase === "closed" ? (
          <p key={a.id} className="notice closed" data-testid="practice-not-counted">
            {t("asgPracticeNotCounted", { title: title(a, lang), time: close === null ? "" : formatInZone(close, a.timeZone, lang) })}
          </p>
        ) : (
          <p key={a.id} className="notice" data-testid="assignment-due">
            <a href={`/assignments/${a.id}`}>{t("asgItemDueNotice", { title: title(a, lang), time: formatInZone(dueAt, a.timeZone, lang) })}</a>
          </p>
        );
      })}
    </>
  );
}
