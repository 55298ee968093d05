import { currentUser, getT } from "@/lib/session.ts";

export default async function Home() {
  const [{ t }, user] = await Promise.all([getT(), currentUser()]);
  return (
    <>
      <h1>{t("homeTitle")}</h1>
      <p>{t("homeIntro")}</p>
      <p>{t("homeSelfLearner")}</p>
      <p className="actions">
        <a className="button" href={user === null ? "/signup" : "/exercises"}>
          {t("homeStart")}
        </a>
        {user === null ? (
          <a className="button secondary" href="/signin">
            {t("navSignIn")}
          </a>
        ) : null}
      </p>
    </>
  );
}
