"use client";

/**
 * The sign-out form. On submit it removes whatever this portal ever kept in the browser's storage
 * (older versions kept editor drafts in localStorage under "tfm:"), so that the next person using
 * this browser sees nothing of this account; the server's answer also sends Clear-Site-Data.
 */
export function SignOutButton({ csrf, label }: { csrf: string; label: string }) {
  function clearLocal() {
    try {
      for (const key of Object.keys(window.localStorage)) if (key.startsWith("tfm:")) window.localStorage.removeItem(key);
      window.sessionStorage.clear();
    } catch {
      // storage disabled: nothing kept
    }
  }
  return (
    <form method="post" action="/api/auth/signout" onSubmit={clearLocal}>
      <input type="hidden" name="csrf" value={csrf} />
      <button type="submit" className="link" data-testid="signout">
        {label}
      </button>
    </form>
  );
}
