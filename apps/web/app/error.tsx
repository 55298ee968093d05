"use client";

/**
 * Shown when a page fails on the server (most often: the grader cannot be reached). Client-side, so
 * the language cookie is not at hand: both languages, Japanese first.
 */
export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert">
      <h1>エラーが発生しました / Something went wrong</h1>
      <p lang="ja">採点サーバーに接続できないか、一時的な問題が起きています。しばらくしてからもう一度お試しください。</p>
      <p lang="en">The grader may be unreachable, or something failed for a moment. Try again shortly.</p>
      <p className="actions">
        <button type="button" onClick={() => reset()}>
          再試行 / Try again
        </button>
        <a className="button secondary" href="/">
          ホーム / Home
        </a>
      </p>
    </div>
  );
}
