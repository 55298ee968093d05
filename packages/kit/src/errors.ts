/**
 * Error types of the kit. Every error thrown on purpose by the kit is a KitError with an
 * English, PyTorch-like `message` and a Japanese `messageJa`.
 */

/** Formats a shape the way the kit's messages do: `[2, 5, 64]` (0-d: `[]`). */
export function fmtShape(shape: readonly number[]): string {
  let s = "[";
  for (let i = 0; i < shape.length; i++) s += (i === 0 ? "" : ", ") + String(shape[i]);
  return s + "]";
}

export class KitError extends Error {
  /** Japanese version of `message`. */
  readonly messageJa: string;
  constructor(message: string, messageJa?: string) {
    super(message);
    this.messageJa = messageJa ?? message;
  }
}

/** Thrown when a typed-array allocation fails (RangeError), e.g. in a memory-limited isolate. */
export class KitMemoryError extends KitError {
  readonly shape: number[];
  readonly dtype: string;
  readonly bytes: number;
  constructor(shape: readonly number[], dtype: string, bytes: number) {
    const s = fmtShape(shape);
    super(
      `Out of memory: cannot allocate a ${dtype} tensor of shape ${s} (${bytes} bytes). ` +
        `Process the data in smaller chunks or free large intermediate tensors.`,
      `メモリ不足: 形状 ${s} の ${dtype} テンソル (${bytes} バイト) を確保できません。` +
        `データをより小さなチャンクに分けて処理するか、大きな中間テンソルを減らしてください。`,
    );
    this.shape = shape.slice();
    this.dtype = dtype;
    this.bytes = bytes;
  }
}

/** Shorthand used everywhere in the kit. */
export function kitError(message: string, messageJa: string): KitError {
  return new KitError(message, messageJa);
}

// `name` lives on the prototypes (like the built-in errors), so that constructing an error never
// assigns to `name`, which would fail once Error.prototype has been frozen by a lockdown.
Object.defineProperty(KitError.prototype, "name", { value: "KitError", writable: true, configurable: true });
Object.defineProperty(KitMemoryError.prototype, "name", { value: "KitMemoryError", writable: true, configurable: true });
