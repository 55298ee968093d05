import { type WireValue, isWireTensor } from "@tfm/contract";

/** Approximate bytes a wire value holds: tensor data, strings (2 bytes a character), and a little per node. */
export function wireBytes(v: WireValue): number {
  if (v === null || typeof v === "number" || typeof v === "boolean") return 8;
  if (typeof v === "string") return 16 + 2 * v.length;
  if (isWireTensor(v)) return 64 + v.$tensor.data.byteLength + 8 * v.$tensor.shape.length;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + wireBytes(x), 16);
  return Object.entries(v).reduce<number>((n, [k, x]) => n + 16 + 2 * k.length + wireBytes(x), 16);
}

/**
 * Reference outputs keyed by exercise version, case id and case seed (and variant). Public cases
 * have fixed seeds, so after the first grading every public expectation is a cache hit. Bounded by
 * the bytes of what it holds (least recently used first out), and by a count.
 */
export class ReferenceCache {
  private readonly map = new Map<string, { value: Promise<WireValue>; bytes: number }>();
  private heldBytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries = 4_000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string, compute: () => WireValue | Promise<WireValue>): Promise<WireValue> {
    const found = this.map.get(key);
    if (found !== undefined) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, found);
      return found.value;
    }
    this.misses++;
    const p = Promise.resolve().then(compute);
    const entry = { value: p, bytes: 0 };
    // A failed computation is not cached: the next grading tries again.
    p.then(
      (v) => {
        if (this.map.get(key) !== entry) return;
        entry.bytes = wireBytes(v);
        this.heldBytes += entry.bytes;
        this.evict();
      },
      () => {
        if (this.map.get(key) === entry) this.map.delete(key);
      },
    );
    this.map.set(key, entry);
    this.evict();
    return p;
  }

  private evict(): void {
    while (this.map.size > this.maxEntries || (this.heldBytes > this.maxBytes && this.map.size > 1)) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) return;
      this.heldBytes -= this.map.get(oldest)?.bytes ?? 0;
      this.map.delete(oldest);
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** Bytes of the values it holds (those still being computed count once they are done). */
  get bytes(): number {
    return this.heldBytes;
  }
}
