import { describe, expect, it } from "vitest";
import { safeArrayCopy } from "./safe.ts";
import { fromParts, tensorParts } from "./tensor.ts";

/**
 * The grader-facing copies must not consult the prototype chain: student code shares the realm and
 * may have added an index setter or getter to Array.prototype or Object.prototype. The traps are in
 * place only while `run` runs (the test runner's own code uses arrays too).
 */
function withTraps<T>(keys: readonly string[], run: () => T): T {
  const ran: string[] = [];
  const targets = [Array.prototype, Object.prototype];
  for (const target of targets) {
    for (const key of keys) {
      Object.defineProperty(target, key, {
        get() {
          ran.push(`get ${key}`);
          return undefined;
        },
        set() {
          ran.push(`set ${key}`);
        },
        configurable: true,
      });
    }
  }
  let out: T;
  try {
    out = run();
  } finally {
    for (const target of targets) for (const key of keys) delete (target as unknown as Record<string, unknown>)[key];
  }
  expect(ran).toEqual([]);
  return out;
}

describe("safeArrayCopy", () => {
  it.each([
    ["a short array (Array.of)", 3],
    ["a 64-element array (Array.of)", 64],
    ["a 65-element array (one define per element)", 65],
    ["a 1,000-element array", 1_000],
  ])("copies %s exactly with index traps on Array.prototype and Object.prototype", (_label, n) => {
    const src = Array.from({ length: n }, (_, i) => i * 3 + 1);
    const out = withTraps(["0", "1", String(n - 1), String(n)], () => safeArrayCopy(src));
    expect(out).not.toBe(src);
    expect(Object.getPrototypeOf(out)).toBe(Array.prototype);
    expect(out.length).toBe(n);
    for (let i = 0; i < n; i++) expect(Object.getOwnPropertyDescriptor(out, i)).toEqual({ value: i * 3 + 1, writable: true, enumerable: true, configurable: true });
  });

  it("tensorParts and fromParts give shapes of their own with the traps in place", () => {
    const shapes = withTraps(["0", "1", "2", "3"], () => {
      const t = fromParts("float32", [2, 1, 3], new Float32Array(6));
      const first = tensorParts(t)?.shape;
      first?.splice(0, 3);
      return [first, tensorParts(t)?.shape];
    });
    expect(shapes).toEqual([[], [2, 1, 3]]);
  });
});
