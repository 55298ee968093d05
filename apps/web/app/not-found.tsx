import { getT } from "@/lib/session.ts";

export default async function NotFound() {
  const { t } = await getT();
  return (
    <>
      <h1>{t("errNotFound")}</h1>
      <p>{t("errNotFoundBody")}</p>
      <p>
        <a href="/exercises">{t("navExercises")}</a>
      </p>
    </>
  );
}
