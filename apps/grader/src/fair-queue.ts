/**
 * A FIFO per key (a user), served in turns, least recently served first: `shift` takes the oldest item
 * of the waiting key that was served longest ago (a key never served goes first), then that key is the
 * most recently served. One user with many queued gradings cannot make another user wait behind all
 * of them: the other user's first grading is at most one turn per other waiting user away.
 */
export class FairQueue<T> {
  /** Keys not served yet (or served so long ago that they were forgotten), in arrival order. */
  private fresh = new Map<string, T[]>();
  /** Keys served before, least recently served first. A key stays here while its line is empty, so an
   * item it pushes right after being served still waits its turn; empty entries are dropped once they
   * are the least recently served (they then count as fresh again, which is fair to them). */
  private served = new Map<string, T[]>();
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Keys waiting, in the order they will be served. */
  keys(): string[] {
    return [...this.fresh, ...this.served].filter(([, line]) => line.length > 0).map(([key]) => key);
  }

  /** How many items `key` has waiting. */
  lengthOf(key: string): number {
    return (this.fresh.get(key) ?? this.served.get(key))?.length ?? 0;
  }

  push(key: string, item: T): void {
    const line = this.served.get(key) ?? this.fresh.get(key);
    if (line === undefined) this.fresh.set(key, [item]);
    else line.push(item);
    this.count++;
  }

  /** Puts `item` first in line and its key first in turn (a grading whose worker died goes again at once). */
  unshift(key: string, item: T): void {
    const line = this.served.get(key) ?? this.fresh.get(key) ?? [];
    this.served.delete(key);
    this.fresh.delete(key);
    line.unshift(item);
    this.fresh = new Map([[key, line], ...this.fresh]);
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    for (const [key, line] of this.fresh) {
      this.fresh.delete(key);
      const item = line.shift();
      if (item === undefined) continue;
      this.served.set(key, line);
      this.count--;
      return item;
    }
    for (const [key, line] of this.served) {
      this.served.delete(key);
      const item = line.shift();
      if (item === undefined) continue;
      this.served.set(key, line);
      this.count--;
      return item;
    }
    return undefined;
  }

  /** Removes and returns everything (closing). */
  drain(): T[] {
    const all = [...this.fresh.values(), ...this.served.values()].flat();
    this.fresh.clear();
    this.served.clear();
    this.count = 0;
    return all;
  }
}
