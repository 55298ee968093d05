/**
 * The WebAssembly module of wasm-gemm.ts, encoded by hand so that it can be read and reviewed as code.
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
  const I32 = 0x7f;
  const F64 = 0x7c;
  // Parameters 0-8, then locals: i, j, p, row (i32) and s (f64).
  const [A, B, OUT, BIAS, M, K, N, SK, SN, I, J, P, ROW, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
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

