import type { WireValue } from "@tfm/contract";

/**
 * Reference outputs keyed by exercise version, case id and case seed (and variant). Public cases
 * have fixed seeds, so after the first grading every public expectation is a cache hit.
 */
export class ReferenceCache {
  private readonly map = new Map<string, Promise<WireValue>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 4_000) {}

  get(key: string, compute: () => WireValue | Promise<WireValue>): Promise<WireValue> {
    const found = this.map.get(key);
    if (found !== undefined) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, found);
      return found;
    }
    this.misses++;
    const p = Promise.resolve().then(compute);
    // A failed computation is not cached: the next grading tries again.
    p.catch(() => this.map.delete(key));
    this.map.set(key, p);
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    return p;
  }

  get size(): number {
    return this.map.size;
  }
}
