/**
 * Seeded randomness.
 *
 * Generator = xoshiro128** whose four 32-bit state words are the first four outputs of
 * splitmix32 started at the uint32 seed:
 *   splitmix32: state = (state + 0x9e3779b9) mod 2^32; t = state ^ (state >>> 16);
 *               t = imul(t, 0x21f0aaad); t ^= t >>> 15; t = imul(t, 0x735a2d97); t ^= t >>> 15
 *   xoshiro128**: result = rotl(s1 * 5, 7) * 9; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2;
 *                 s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)          (all mod 2^32)
 * random() = (next() >>> 8) / 2^24, in [0, 1).
 * normal() = sqrt(-2 ln u1) * cos(2 pi u2) with u1 = 1 - random(), u2 = random() (one normal
 * per two uniforms, drawn in that order).
 * Tensors are filled in row-major order, one draw (uniform) or one pair (normal) per element.
 */
import type { DType, Storage } from "./dtype.ts";
import { alloc, castScalar, normalizeDType } from "./dtype.ts";
import { KitError } from "./errors.ts";
import { checkShape, shapeNumel, splitShapeArgs } from "./shape-utils.ts";
import type { Tensor } from "./tensor.ts";
import { dataOf, describe, dtypeOf, makeTensor } from "./tensor.ts";
import { requireTensor } from "./ops-elementwise.ts";
import { WASM_ELEMENTWISE_MIN, wasmUniforms } from "./wasm-gemm.ts";

let nextU32Impl: (g: Generator) => number;
let isGeneratorImpl: (x: unknown) => x is Generator;
let uniformsImpl: (g: Generator, out: Storage | Float64Array, n: number, a: number, span: number) => void;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Generator {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #seed = 0;

  constructor(seed = 0) {
    this.#reseed(seed);
  }

  #reseed(seed: number): void {
    if (typeof seed !== "number" || !Number.isInteger(seed)) {
      throw new KitError(`manualSeed expected an integer seed, but got ${String(seed)}`, `manualSeed には整数のシードが必要です（${String(seed)} が渡されました）`);
    }
    let st = seed >>> 0;
    this.#seed = st;
    const sm = (): number => {
      st = (st + 0x9e3779b9) | 0;
      let t = st ^ (st >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      t ^= t >>> 15;
      return t >>> 0;
    };
    this.#s0 = sm();
    this.#s1 = sm();
    this.#s2 = sm();
    this.#s3 = sm();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Re-seeds the generator; returns it (like PyTorch). */
  manualSeed(seed: number): this {
    this.#reseed(seed);
    return this;
  }

  /** The seed given to the last manualSeed (as a uint32). */
  initialSeed(): number {
    return this.#seed;
  }

  static {
    nextU32Impl = (g) => {
      const s1 = g.#s1;
      const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      g.#s2 ^= g.#s0;
      g.#s3 ^= g.#s1;
      g.#s1 ^= g.#s2;
      g.#s0 ^= g.#s3;
      g.#s2 ^= t;
      g.#s3 = rotl(g.#s3, 11);
      return result;
    };
    isGeneratorImpl = (x: unknown): x is Generator => typeof x === "object" && x !== null && #s0 in x;
    // The same steps as nextU32Impl with the state in locals: a fresh isolate runs a fill loop in the
    // interpreter until it is compiled, and four private-field reads and writes per number cost it most.
    uniformsImpl = (g, out, n, a, span) => {
      // Many at once: the same steps in WebAssembly (wasm-gemm.ts), ~40x faster in a cold isolate.
      if (n >= WASM_ELEMENTWISE_MIN && (out instanceof Float32Array || out instanceof Float64Array)) {
        const state = Int32Array.of(g.#s0, g.#s1, g.#s2, g.#s3);
        if (wasmUniforms(state, out, n, a, span)) {
          g.#s0 = state[0]!;
          g.#s1 = state[1]!;
          g.#s2 = state[2]!;
          g.#s3 = state[3]!;
          return;
        }
      }
      let s0 = g.#s0;
      let s1 = g.#s1;
      let s2 = g.#s2;
      let s3 = g.#s3;
      for (let i = 0; i < n; i++) {
        const m = Math.imul(s1, 5);
        const r = Math.imul((m << 7) | (m >>> 25), 9);
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        out[i] = a + span * ((r >>> 8) / 16777216);
      }
      g.#s0 = s0;
      g.#s1 = s1;
      g.#s2 = s2;
      g.#s3 = s3;
    };
  }
}

/** The global default generator (initial seed 0). */
export const defaultGenerator = new Generator(0);

export function nextU32(g: Generator): number {
  return nextU32Impl(g);
}

/** Uniform in [0, 1) with 24 random bits. */
export function random(g: Generator): number {
  return (nextU32Impl(g) >>> 8) / 16777216;
}

/** Standard normal by Box-Muller (one normal per two uniforms). */
export function normal(g: Generator): number {
  const u1 = 1 - random(g);
  const u2 = random(g);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * out[i] = a + span * random(g) for i < n: the same numbers in the same order as n calls of random(g)
 * (a = 0, span = 1 gives random(g) itself: 0 + 1 * u is u exactly); out is a float32 or float64 array.
 */
export function uniformsInto(g: Generator, out: Storage | Float64Array, n: number, a = 0, span = 1): void {
  uniformsImpl(g, out, n, a, span);
}

/** How many uniforms uniformChunks draws at a time (a 32 KB scratch array, whatever the tensor's size). */
const CHUNK = 4096;

/**
 * Draws n uniforms, as n calls of random(g) would, CHUNK at a time into one scratch array, calling
 * visit(u, start, m) with u[0..m) the numbers start..start+m.
 */
export function uniformChunks(g: Generator, n: number, visit: (u: Float64Array, start: number, m: number) => void): void {
  const u = new Float64Array(Math.min(n, CHUNK));
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    uniformsImpl(g, u, m, 0, 1);
    visit(u, start, m);
  }
}

/**
 * out[i] = mean + std * normal(g) for i < n, as n calls of normal(g); raw: normal(g) itself (0 + 1 * z
 * would turn a -0 into 0).
 */
export function normalsInto(g: Generator, out: Storage | Float64Array, n: number, mean = 0, std = 1, raw = false): void {
  // Two uniforms per normal (Box-Muller, as normal()): u1 = 1 - the first, u2 = the second.
  uniformChunks(g, 2 * n, (u, start, m) => {
    const base = start / 2;
    for (let i = 0; 2 * i + 1 < m; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - (u[2 * i] as number))) * Math.cos(2 * Math.PI * (u[2 * i + 1] as number));
      out[base + i] = raw ? z : mean + std * z;
    }
  });
}

/** Resolves an optional generator argument (undefined -> default generator). */
export function resolveGenerator(g: unknown): Generator {
  if (g === undefined || g === null) return defaultGenerator;
  if (!isGeneratorImpl(g)) {
    throw new KitError(
      `generator must be a torch.Generator, not ${describe(g)}`,
      `generator には torch.Generator を指定してください（${describe(g)} が渡されました）`,
    );
  }
  return g;
}

export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

export function uniformFill(t: Tensor, a = 0, b = 1, generator?: Generator | null): void {
  const x = requireTensor(t, "uniform_", "self");
  const g = resolveGenerator(generator);
  const data = dataOf(x);
  const d = dtypeOf(x);
  const span = b - a;
  if (d === "float32") {
    uniformsInto(g, data, data.length, a, span);
  } else {
    for (let i = 0; i < data.length; i++) data[i] = castScalar(a + span * random(g), d);
  }
}

export function normalFill(t: Tensor, mean = 0, std = 1, generator?: Generator | null): void {
  const x = requireTensor(t, "normal_", "self");
  if (!(std >= 0)) {
    throw new KitError(`normal expects std >= 0.0, but found std ${std}`, `normal の std は 0 以上でなければなりません（std = ${std}）`);
  }
  const g = resolveGenerator(generator);
  const data = dataOf(x);
  const d = dtypeOf(x);
  // float32: the store rounds as castScalar would.
  if (d === "float32") normalsInto(g, data, data.length, mean, std);
  else for (let i = 0; i < data.length; i++) data[i] = castScalar(mean + std * normal(g), d);
}

interface RandOptions {
  generator?: Generator;
  dtype?: DType;
}

/** `fill` draws one number; `bulk` fills a float32 array with the same numbers in the same order, faster. */
function randomTensor(fn: string, args: readonly unknown[], fill: (g: Generator) => number, bulk: (g: Generator, out: Storage, n: number) => void, defaultType: DType): Tensor {
  const { shape: raw, options } = splitShapeArgs(args, fn);
  const shape = checkShape(raw, fn);
  const opts: RandOptions = options ?? {};
  const g = resolveGenerator(opts.generator);
  const dtype = opts.dtype === undefined ? defaultType : normalizeDType(opts.dtype);
  const n = shapeNumel(shape);
  const out = alloc(dtype, n, shape);
  if (dtype === "float32") bulk(g, out, n);
  else for (let i = 0; i < n; i++) out[i] = castScalar(fill(g), dtype);
  return makeTensor(dtype, shape, out);
}

/** torch.rand(...shape, {generator?}): uniform [0, 1). */
export function rand(...args: (number | readonly number[] | RandOptions)[]): Tensor {
  return randomTensor("rand", args, random, (g, out, n) => uniformsInto(g, out, n), "float32");
}

/** torch.randn(...shape, {generator?}): standard normal. */
export function randn(...args: (number | readonly number[] | RandOptions)[]): Tensor {
  return randomTensor("randn", args, normal, (g, out, n) => normalsInto(g, out, n, 0, 1, true), "float32");
}

/**
 * torch.randint(low, high, shape, {generator?}) or randint(high, shape, ...):
 * low + floor(random() * (high - low)), int32.
 */
export function randint(low: number, high: number | readonly number[], shape?: readonly number[] | RandOptions, options?: RandOptions): Tensor {
  let lo = low;
  let hi: number;
  let sh: readonly number[];
  let opts: RandOptions | undefined;
  if (Array.isArray(high)) {
    lo = 0;
    hi = low;
    sh = high;
    opts = shape !== undefined && !Array.isArray(shape) ? (shape as RandOptions) : undefined;
  } else {
    hi = high as number;
    if (!Array.isArray(shape)) {
      throw new KitError(
        `randint(): argument 'size' must be a sequence of integers, but got ${describe(shape)}`,
        `randint(): 引数 'size' は整数の配列でなければなりません（${describe(shape)} が渡されました）`,
      );
    }
    sh = shape as readonly number[];
    opts = options;
  }
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo >= hi) {
    throw new KitError(
      `random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`,
      `randint の low は high より小さい整数でなければなりません（low=${lo}、high=${hi}）`,
    );
  }
  const span = hi - lo;
  const shapeChecked = checkShape(sh, "randint");
  const g = resolveGenerator(opts?.generator);
  const dtype = opts?.dtype === undefined ? "int32" : normalizeDType(opts.dtype);
  const n = shapeNumel(shapeChecked);
  const out = alloc(dtype, n, shapeChecked);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(random(g) * span);
  return makeTensor(dtype, shapeChecked, out);
}

/** torch.randperm(n, {generator?}): Fisher-Yates from the end, j = floor(random() * (i + 1)). */
export function randperm(n: number, options?: RandOptions): Tensor {
  if (!Number.isInteger(n) || n < 0) {
    throw new KitError(`randperm(): n must be a non-negative integer, but got ${n}`, `randperm(): n は 0 以上の整数でなければなりません（${n}）`);
  }
  const g = resolveGenerator(options?.generator);
  const out = alloc("int32", n, [n]);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random(g) * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return makeTensor("int32", [n], out);
}

