import type { SubmissionSummary } from "@tfm/db";
import { type Lang, type Translator, verdictKey } from "@/lib/i18n.ts";

/** A learner's submissions, newest first, each linking to its code and result (server-rendered). */
export function HistoryTable({ history, lang, t, showExercise, testId, titles }: { history: readonly SubmissionSummary[]; lang: Lang; t: Translator; showExercise: boolean; testId?: string; titles?: ReadonlyMap<string, string> }) {
  return (
    <div className="scroll-x">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">{t("submittedAt")}</th>
            {showExercise ? <th scope="col">{t("exercise")}</th> : null}
            <th scope="col">{t("verdict")}</th>
            <th scope="col">{t("score")}</th>
            <th scope="col">{t("viewCode")}</th>
          </tr>
        </thead>
        <tbody>
          {history.map((s) => (
            <tr key={s.id}>
              <td>{s.receivedAt.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo" })}</td>
              {showExercise ? <td>{titles?.get(s.exerciseId) ?? s.exerciseId}</td> : null}
              <td>{s.verdict === null ? t("stateQueued") : t(verdictKey(s.verdict))}</td>
              <td>{s.score === null ? "—" : `${Math.round(s.score * 100)}%`}</td>
              <td>
                <a href={`/submissions/${s.id}`}>{t("viewCode")}</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
