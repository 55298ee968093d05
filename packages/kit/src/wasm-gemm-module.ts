/**
 * The WebAssembly modules of wasm-gemm.ts, encoded by hand so that they can be read and reviewed as code.
 * The kit ships its bytes as a literal (gemmModuleBytes: building them here in each cold isolate cost
 * ~0.6 ms per context); `wasm-gemm.test.ts` checks that the literal is what this encodes. After a
 * change here, put the bytes that test prints into gemmModuleBytes.
 */

// The module:
//
//   (func (export "gemm") (param a b out bias M K N sk sn i32)
//     for i in 0..M, j in 0..N:
//       s: f64 = 0
//       for p in 0..K: s = s + f64(a[a + i*K + p]) * f64(b[b + p*sk + j*sn])
//       if bias >= 0: s = s + f64(bias[bias + j])
//       out[out + i*N + j] = f32(s))
//   (memory (export "memory") 1)
//
// Offsets are in floats; b is read with strides, so B [K, N] (sk = N, sn = 1) and a transposed
// weight [N, K] (sk = 1, sn = K) need no copy in between.
//
// Since stop 33 a second module (encodeBulkModule) holds the kernels of large elementwise ops
// (wasm-gemm.ts, WASM_ELEMENTWISE_MIN), with byte addresses:
//
//   (func (export "<op>") (param x y out n xs ys i32, sx sy f64)        one per ELEMENTWISE_OPS entry
//     for i in 0..n:
//       a: f64 = xs ? sx : f64(f32 x[i]);  b: f64 = ys ? sy : f64(f32 y[i])
//       add, sub, mul, div, maximum, minimum: f32 out[i] = f32(a op b)      (f64 op, rounded once)
//       eq, ne, lt, le, gt, ge:               u8 out[i] = a op b ? 1 : 0)
//   (func (export "where") (param c x y out n xs ys i32, sx sy f64)
//     f32 out[i] = u8 c[i] != 0 ? (xs ? f32(sx) : f32 x[i]) : (ys ? f32(sy) : f32 y[i]))
//   (func (export "diff") (param a b n i32) (result i32)
//     the first i with i32 a[i] != i32 b[i], else -1)
//   (func (export "uniforms") (param out n st i32, a span f64, wide i32)
//     random.ts's uniforms: xoshiro128** from the four i32 state words at st (written back at the
//     end); out[i] = a + span * (f64(u32(r) >>> 8) / 2^24), stored as f64 (wide) or rounded to f32)
//
// A scalar operand's address is never read past what the caller copied (wasm-gemm.ts passes the
// other operand's), and its value comes as an f64 parameter, so a Python number is not rounded to
// float32 before the op (the JS kernel reads it from a Float64Array).

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function encodeGemmModule(): Uint8Array {
  const F64 = 0x7c;
  // Parameters 0-8, then locals: i, j, p, row (i32) and s (f64).
  const [A, B, OUT, BIAS, M, K, N, SK, SN, I, J, P, ROW, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;
  const i32 = (v: number) => [0x41, v]; // 0 <= v < 64 only (one-byte signed LEB128)
  const add = [0x6a];
  const mul = [0x6c];
  const shl2 = [...i32(2), 0x74];
  const f32load = [0x2a, 2, 0];
  const f32store = [0x38, 2, 0];
  const promote = [0xbb];
  const loop = (counter: number, bound: number, body: number[]) => [
    ...i32(0), ...set(counter),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(counter), ...get(bound), 0x4e, 0x0d, 1, // counter >= bound (signed): leave the block
    ...body,
    ...get(counter), ...i32(1), ...add, ...set(counter),
    0x0c, 0, 0x0b, 0x0b, // back to the loop; end loop, end block
  ];
  const inner = [
    ...get(S),
    ...get(ROW), ...get(P), ...add, ...shl2, ...f32load, ...promote,
    ...get(B), ...get(P), ...get(SK), ...mul, ...add, ...get(J), ...get(SN), ...mul, ...add, ...shl2, ...f32load, ...promote,
    0xa2, 0xa0, ...set(S), // f64.mul, f64.add
  ];
  const column = [
    0x44, 0, 0, 0, 0, 0, 0, 0, 0, ...set(S), // s = +0
    ...loop(P, K, inner),
    ...get(BIAS), ...i32(0), 0x4e, 0x04, 0x40, // if bias >= 0
    ...get(S), ...get(BIAS), ...get(J), ...add, ...shl2, ...f32load, ...promote, 0xa0, ...set(S),
    0x0b,
    ...get(OUT), ...get(I), ...get(N), ...mul, ...add, ...get(J), ...add, ...shl2, ...get(S), 0xb6, ...f32store, // f32.demote_f64
  ];
  const rowBody = [...get(A), ...get(I), ...get(K), ...mul, ...add, ...set(ROW), ...loop(J, N, column)];
  const code = [...uleb(2), ...uleb(4), I32, ...uleb(1), F64, ...loop(I, M, rowBody), 0x0b];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 9, I32, I32, I32, I32, I32, I32, I32, I32, I32, 0]), // one type: 9 x i32 -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [2, ...name("gemm"), 0x00, 0, ...name("memory"), 0x02, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

/**
 * The second module (wasm-gemm.ts: bulkModuleBytes), instantiated in a context only when an op first
 * has WASM_ELEMENTWISE_MIN elements or more: the gemm module stays as small as it was (each export
 * costs at instantiation: one module with both took ~0.15 ms more per context, for every exercise).
 */
export function encodeBulkModule(): Uint8Array {
  const F64 = 0x7c;
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const body = (b: number[]) => [...uleb(b.length), ...b];
  const bodies = [
    ...ELEMENTWISE_OPS.map(([, opcode, compare]) => body(encodeElementwise(opcode, compare))),
    body(encodeWhere()),
    body(encodeDiff()),
    body(encodeUniforms()),
  ];
  const exports = [
    ...ELEMENTWISE_OPS.map(([op], k) => [...name(op), 0x00, k]),
    [...name("where"), 0x00, ELEMENTWISE_OPS.length],
    [...name("diff"), 0x00, 1 + ELEMENTWISE_OPS.length],
    [...name("uniforms"), 0x00, 2 + ELEMENTWISE_OPS.length],
    [...name("memory"), 0x02, 0],
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [
      4,
      0x60, 8, I32, I32, I32, I32, I32, I32, F64, F64, 0, // 0: an elementwise op
      0x60, 9, I32, I32, I32, I32, I32, I32, I32, F64, F64, 0, // 1: where
      0x60, 3, I32, I32, I32, 1, I32, // 2: diff, -> i32
      0x60, 6, I32, I32, I32, F64, F64, I32, 0, // 3: uniforms
    ]),
    ...section(3, [bodies.length, ...ELEMENTWISE_OPS.map(() => 0), 1, 2, 3]),
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [exports.length, ...exports.flat()]),
    ...section(10, [bodies.length, ...bodies.flat()]),
  ]);
}

/** The elementwise kernels: export name, the f64 opcode, whether it compares (u8 out) or computes (f32 out). */
export const ELEMENTWISE_OPS: readonly (readonly [string, number, boolean])[] = [
  ["add", 0xa0, false],
  ["sub", 0xa1, false],
  ["mul", 0xa2, false],
  ["div", 0xa3, false],
  ["minimum", 0xa4, false],
  ["maximum", 0xa5, false],
  ["eq", 0x61, true],
  ["ne", 0x62, true],
  ["lt", 0x63, true],
  ["gt", 0x64, true],
  ["le", 0x65, true],
  ["ge", 0x66, true],
];

// Shared pieces of the elementwise bodies (locals are numbered after the parameters).
const get = (l: number) => [0x20, l];
const set = (l: number) => [0x21, l];
const I32 = 0x7f;
const F32 = 0x7d;
const ONE = [0x41, 1];
const SHL2 = [0x41, 2, 0x74];
const ADD = [0x6a];

/** for (i = 0; i < n; i++) body, with i and n locals. */
function countedLoop(i: number, n: number, body: number[]): number[] {
  return [
    0x41, 0, ...set(i),
    0x02, 0x40, 0x03, 0x40,
    ...get(i), ...get(n), 0x4e, 0x0d, 1,
    ...body,
    ...get(i), ...ONE, ...ADD, ...set(i),
    0x0c, 0, 0x0b, 0x0b,
  ];
}

/** f64 operand: `scalar ? s : f64(f32 at base + 4i)`. */
function operandF64(base: number, i: number, isScalar: number, s: number): number[] {
  return [...get(s), ...get(base), ...get(i), ...SHL2, ...ADD, 0x2a, 2, 0, 0xbb, ...get(isScalar), 0x1b];
}

function encodeElementwise(opcode: number, compare: boolean): number[] {
  const [X, Y, OUT, N, XS, YS, SX, SY, I] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
  const address = compare ? [...get(OUT), ...get(I), ...ADD] : [...get(OUT), ...get(I), ...SHL2, ...ADD];
  const store = compare ? [0x3a, 0, 0] : [0xb6, 0x38, 2, 0]; // i32.store8 / f32.demote_f64, f32.store
  const each = [...address, ...operandF64(X, I, XS, SX), ...operandF64(Y, I, YS, SY), opcode, ...store];
  return [1, 1, I32, ...countedLoop(I, N, each), 0x0b];
}

function encodeWhere(): number[] {
  const [C, X, Y, OUT, N, XS, YS, SX, SY, I, DX, DY] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
  const pick = (base: number, isScalar: number, demoted: number) => [...get(demoted), ...get(base), ...get(I), ...SHL2, ...ADD, 0x2a, 2, 0, ...get(isScalar), 0x1b];
  const each = [
    ...get(OUT), ...get(I), ...SHL2, ...ADD,
    ...pick(X, XS, DX), ...pick(Y, YS, DY),
    ...get(C), ...get(I), ...ADD, 0x2d, 0, 0, // i32.load8_u
    0x1b, 0x38, 2, 0,
  ];
  return [2, 1, I32, 2, F32, ...get(SX), 0xb6, ...set(DX), ...get(SY), 0xb6, ...set(DY), ...countedLoop(I, N, each), 0x0b];
}

function encodeDiff(): number[] {
  const [A, B, N, I] = [0, 1, 2, 3] as const;
  const load = (base: number) => [...get(base), ...get(I), ...SHL2, ...ADD, 0x28, 2, 0];
  const each = [...load(A), ...load(B), 0x47, 0x04, 0x40, ...get(I), 0x0f, 0x0b]; // i32.ne; if: return i
  return [1, 1, I32, ...countedLoop(I, N, each), 0x41, 0x7f, 0x0b]; // i32.const -1
}

function encodeUniforms(): number[] {
  const [OUT, N, ST, A, SPAN, WIDE, I, S0, S1, S2, S3, M, R, T, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] as const;
  const F64 = 0x7c;
  const c = (v: number) => [0x41, v]; // 0 <= v < 64
  const xor = [0x73];
  const rotl = [0x77];
  const word = (k: number) => [...get(ST), 0x28, 2, k * 4]; // i32.load offset 4k
  const each = [
    ...get(S1), ...c(5), 0x6c, ...set(M), // m = s1 * 5
    ...get(M), ...c(7), ...rotl, ...c(9), 0x6c, ...set(R), // r = rotl(m, 7) * 9
    ...get(S1), ...c(9), 0x74, ...set(T), // t = s1 << 9
    ...get(S2), ...get(S0), ...xor, ...set(S2),
    ...get(S3), ...get(S1), ...xor, ...set(S3),
    ...get(S1), ...get(S2), ...xor, ...set(S1),
    ...get(S0), ...get(S3), ...xor, ...set(S0),
    ...get(S2), ...get(T), ...xor, ...set(S2),
    ...get(S3), ...c(11), ...rotl, ...set(S3),
    // v = a + span * (f64(r >>> 8) / 16777216)
    ...get(A), ...get(SPAN), ...get(R), 0x41, 8, 0x76, 0xb8, 0x44, 0, 0, 0, 0, 0, 0, 0x70, 0x41, 0xa3, 0xa2, 0xa0, ...set(V),
    ...get(WIDE), 0x04, 0x40,
    ...get(OUT), ...get(I), 0x41, 3, 0x74, ...ADD, ...get(V), 0x39, 3, 0, // f64.store
    0x05,
    ...get(OUT), ...get(I), ...SHL2, ...ADD, ...get(V), 0xb6, 0x38, 2, 0, // f32.store of f32.demote_f64
    0x0b,
  ];
  const storeWord = (k: number, l: number) => [...get(ST), ...get(l), 0x36, 2, k * 4]; // i32.store offset 4k
  return [
    2, 8, I32, 1, F64,
    ...word(0), ...set(S0), ...word(1), ...set(S1), ...word(2), ...set(S2), ...word(3), ...set(S3),
    ...countedLoop(I, N, each),
    ...storeWord(0, S0), ...storeWord(1, S1), ...storeWord(2, S2), ...storeWord(3, S3),
    0x0b,
  ];
}
