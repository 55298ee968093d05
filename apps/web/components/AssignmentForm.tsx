import type { AssignmentRow } from "@tfm/db";
import { utcToLocalInput } from "@tfm/progress";
import { type CatalogItem, KIND_KEYS } from "@/lib/assignments.ts";
import type { Lang, Translator } from "@/lib/i18n.ts";

/**
 * The rules of an assignment as a form (create and edit). Times are <input type="datetime-local">
 * values in the class's zone, named next to them; the server converts them with Luxon.
 */
export function AssignmentForm(props: {
  t: Translator;
  lang: Lang;
  csrf: string;
  action: string;
  /** The hidden `action` field of the assignment route (update), or null for the create route. */
  op: string | null;
  zone: string;
  catalog: readonly CatalogItem[];
  current: AssignmentRow | null;
  /** Defaults for a new assignment (local wall-clock values). */
  defaults: { opensAt: string; dueAt: string };
  submit: string;
}) {
  const { t, lang, current, zone } = props;
  const local = (d: Date | null | undefined) => (d == null ? "" : utcToLocalInput(d, zone));
  const chosen = new Map((current?.items ?? []).map((i) => [`${i.kind}:${i.itemId}`, i.weight]));
  const policy = current?.latePolicy ?? { kind: "per_day", percentPerDay: 10, floorPercent: 50 };
  const id = (s: string) => `${props.op ?? "new"}-${s}`;
  return (
    <form method="post" action={props.action} className="card form-card wide" data-testid={`assignment-form-${props.op ?? "new"}`}>
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.op === null ? null : <input type="hidden" name="action" value={props.op} />}
      <label htmlFor={id("title-ja")}>{t("asgTitleJa")}</label>
      <input id={id("title-ja")} name="titleJa" type="text" required maxLength={200} defaultValue={current?.titleJa ?? ""} />
      <label htmlFor={id("title-en")}>{t("asgTitleEn")}</label>
      <input id={id("title-en")} name="titleEn" type="text" required maxLength={200} defaultValue={current?.titleEn ?? ""} />
      <p className="hint">{t("asgZoneIs", { zone })}</p>
      <div className="grid-2">
        <div>
          <label htmlFor={id("opens")}>
            {t("asgOpensAt")} ({zone})
          </label>
          <input id={id("opens")} name="opensAt" type="datetime-local" step={1} required defaultValue={current === null ? props.defaults.opensAt : local(current.opensAt)} />
        </div>
        <div>
          <label htmlFor={id("due")}>
            {t("asgDueAt")} ({zone})
          </label>
          <input id={id("due")} name="dueAt" type="datetime-local" step={1} required defaultValue={current === null ? props.defaults.dueAt : local(current.dueAt)} />
        </div>
        <div>
          <label htmlFor={id("closes")}>
            {t("asgClosesAt")} ({zone})
          </label>
          <input id={id("closes")} name="closesAt" type="datetime-local" step={1} defaultValue={local(current?.closesAt)} aria-describedby={id("closes-hint")} />
          <p className="hint" id={id("closes-hint")}>
            {t("asgClosesHint")}
          </p>
        </div>
        <fieldset>
          <legend>{t("asgLatePolicy")}</legend>
          <label>
            <input type="radio" name="lateKind" value="none" defaultChecked={policy.kind === "none"} /> {t("asgLateNone")}
          </label>
          <label>
            <input type="radio" name="lateKind" value="per_day" defaultChecked={policy.kind === "per_day"} /> {t("asgLatePerDay")}
          </label>
          <label htmlFor={id("late-pct")}>{t("asgLatePercent")}</label>
          <input id={id("late-pct")} name="latePercent" type="number" min={0} max={100} step="any" defaultValue={policy.kind === "per_day" ? policy.percentPerDay : 10} />
          <label htmlFor={id("late-floor")}>{t("asgLateFloor")}</label>
          <input id={id("late-floor")} name="lateFloor" type="number" min={0} max={100} step="any" defaultValue={policy.kind === "per_day" ? policy.floorPercent : 50} />
        </fieldset>
      </div>
      <fieldset>
        <legend>{t("asgItems")}</legend>
        <div className="scroll-x" style={{ maxHeight: "22rem", overflowY: "auto" }}>
          <table>
            <tbody>
              {props.catalog.map((c) => (
                <tr key={c.key}>
                  <td>
                    <input type="checkbox" name="item" value={c.key} id={id(`item-${c.key}`)} defaultChecked={chosen.has(c.key)} />
                  </td>
                  <td>
                    <label htmlFor={id(`item-${c.key}`)}>
                      <span className="badge">{t(KIND_KEYS[c.kind])}</span> {c.title[lang]}
                    </label>
                  </td>
                  <td>
                    <input
                      type="number"
                      name={`weight:${c.key}`}
                      aria-label={`${t("asgWeight")}: ${c.title[lang]}`}
                      min={0.01}
                      max={1000}
                      step="any"
                      defaultValue={chosen.get(c.key) ?? 1}
                      style={{ width: "5rem" }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </fieldset>
      {current?.publishedAt != null ? (
        <label>
          <input type="checkbox" name="confirmScoreChange" value="yes" /> {t("asgConfirmScoreChange")}
        </label>
      ) : null}
      <p className="actions">
        <button type="submit">{props.submit}</button>
      </p>
    </form>
  );
}
