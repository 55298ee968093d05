import type { ItemView } from "@/lib/checklist-view.ts";
import type { Translator } from "@/lib/i18n.ts";

/** One checklist item where an exercise or quiz is shown: its text, "1 of 2 done", what is left (links). */
export function ItemProgress({ view, t, showPending = true, exclude }: { view: ItemView; t: Translator; showPending?: boolean; exclude?: string }) {
  // Next to an exercise, "still needed" lists the other things only (the exercise itself is right there).
  const pending = view.pending.filter((p) => p.id !== exclude);
  return (
    <span className="item-progress" data-item-progress={view.id} data-parts={`${view.doneParts}/${view.total}`}>
      {view.text}{" "}
      <span className={`badge ${view.done ? "done" : view.doneParts > 0 ? "attempted" : "pending"}`}>
        {view.done ? `✓ ${t("itemDone")}` : view.total > 1 ? t("itemPartsDone", { done: view.doneParts, total: view.total }) : t("itemPending")}
      </span>
      {showPending && !view.done && pending.length > 0 ? (
        <>
          {" "}
          <span className="hint">
            {t("stillNeededLabel")}{" "}
            {pending.map((p, i) => (
              <span key={p.id}>
                {i > 0 ? ", " : ""}
                <a href={p.href}>{p.title}</a>
              </span>
            ))}
          </span>
        </>
      ) : null}
    </span>
  );
}
