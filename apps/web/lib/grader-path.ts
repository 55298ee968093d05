/** Pieces of the portal's grader client with no I/O (unit-tested directly; see lib/grader.ts). */

/**
 * A grader path from fixed parts and ids: every id is percent-encoded as one segment, so an id can
 * never add segments, a query or a fragment ("../v1/grade?" stays one harmless segment).
 */
export function graderPath(parts: readonly string[], query: Record<string, string | number> = {}): string {
  // "." and ".." stay dot segments even when percent-encoded (the URL standard reads "%2e%2e" as ".."):
  // refused, like empty segments. Callers check ids against the catalog before this.
  if (parts.some((p) => p === "" || /^(\.|%2e){1,2}$/i.test(p))) throw new Error(`not a grader path segment: ${JSON.stringify(parts)}`);
  const path = `/${parts.map((p) => encodeURIComponent(p)).join("/")}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) params.set(k, String(v));
  const q = params.toString();
  return q === "" ? path : `${path}?${q}`;
}

/** The shape of every catalog id (exercises, quizzes, free-text problems). */
export const CATALOG_ID = /^[a-z][a-z0-9-]{0,99}$/;

/**
 * A small time-limited cache with a bound on its entries (the oldest used goes first), so that no
 * stream of requests can grow it. Content changes only when the grader restarts with new exercises.
 */
export class BoundedCache {
  readonly #entries = new Map<string, { at: number; value: Promise<unknown> }>();
  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get<T>(key: string, load: () => Promise<T>, now = Date.now()): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) {
      // Refresh its place in the order of use.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    const value = load();
    const entry = { at: now, value };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }
}
