/**
 * Intrinsics captured when the kit is evaluated, before any untrusted code runs. Used by the
 * grader-facing entry points (tensorParts / fromParts) so that later tampering with
 * prototypes (Array.prototype, Object.prototype, %TypedArray%.prototype, Reflect, ...) cannot
 * change what they do.
 */
const reflectApply = Reflect.apply;
const reflectDefine = Reflect.defineProperty;
const objectCreate = Object.create;
const arrayOf = Array.of;
const getProto = Object.getPrototypeOf;
const getOwnDesc = Object.getOwnPropertyDescriptor;
const symToStringTag = Symbol.toStringTag;
const typedArrayProto: object = getProto(Int8Array.prototype) as object;
const tagGetter = getOwnDesc(typedArrayProto, symToStringTag)?.get;
const lengthGetter = getOwnDesc(typedArrayProto, "length")?.get;

/** "Float32Array", "Int32Array", "Uint8Array", ... or undefined when x is not a typed array. */
export function typedArrayTag(x: unknown): string | undefined {
  if (tagGetter === undefined) return undefined;
  const tag: unknown = reflectApply(tagGetter, x, []);
  return typeof tag === "string" ? tag : undefined;
}

/** Length of a typed array read through the original getter. */
export function typedArrayLength(x: unknown): number {
  if (lengthGetter === undefined) return -1;
  const n: unknown = reflectApply(lengthGetter, x, []);
  return typeof n === "number" ? n : -1;
}

/**
 * A fresh number[] copy that never consults the prototype chain. Up to 64 elements (every shape) by
 * `Array.of` (captured above), which creates each element as an own data property (no setter on
 * Array.prototype or Object.prototype runs) and measured cheaper than a defineProperty per element in
 * a locked-down isolate (README, stop 32); longer ones (no argument list that long) by defineProperty
 * on a null-prototype descriptor.
 */
export function safeArrayCopy(src: readonly number[]): number[] {
  if (src.length <= 64) return reflectApply(arrayOf, undefined, src) as number[];
  const out: number[] = [];
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const desc = objectCreate(null) as PropertyDescriptor;
    desc.value = src[i];
    desc.writable = true;
    desc.enumerable = true;
    desc.configurable = true;
    reflectDefine(out, i, desc);
  }
  return out;
}

export const isArray: (x: unknown) => x is unknown[] = Array.isArray;
export const isInteger: (x: unknown) => boolean = Number.isInteger;
