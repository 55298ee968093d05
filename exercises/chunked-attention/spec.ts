import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type Rng, defineExercise, randn, unravel } from "@tfm/spec";
import { firstDifference, hostAttention } from "@tfm/spec/host-attention";

const name = (ja: string, en: string): Localized => ({ ja, en });

function args(rng: Rng, b: number, tq: number, tk: number, dk: number, dv: number, chunk: number): WireValue[] {
  return [randn(rng, [b, tq, dk]), randn(rng, [b, tk, dk]), randn(rng, [b, tk, dv]), chunk];
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

/**
 * A sequence long enough that the full (B, T, T) float32 score matrix, 4·B·T² bytes, is larger
 * than the 16 MB the sandbox allows (exercise.json), while one (B, chunk, T) block is small.
 */
function longSequence(rng: Rng): WireValue[] {
  const b = rng.int(1, 3);
  const bytes = 20e6 + rng.random() * 6e6;
  const t = Math.floor(Math.sqrt(bytes / (4 * b)));
  const d = rng.int(4, 9);
  return args(rng, b, t, t, d, d, rng.pick([128, 192, 256]));
}

const cases: CaseDef[] = [
  { id: "chunked-basic", kind: "public", name: name("基本: B=2, T=10, d=4, chunkSize=3", "basic: B=2, T=10, d=4, chunkSize=3"), make: ({ rng }) => args(rng, 2, 10, 10, 4, 4, 3) },
  { id: "chunked-one-chunk", kind: "public", name: name("塊が 1 つ: T=8, chunkSize=8", "a single chunk: T=8, chunkSize=8"), make: ({ rng }) => args(rng, 1, 8, 8, 5, 5, 8) },
  { id: "chunked-size-one", kind: "public", name: name("chunkSize=1 (クエリ 1 個ずつ)", "chunkSize=1 (one query at a time)"), make: ({ rng }) => args(rng, 2, 5, 5, 3, 3, 1) },
  {
    id: "chunked-more-keys",
    kind: "public",
    name: name("T_q=5, T_k=9, d_v ≠ d_k, chunkSize=2", "T_q=5, T_k=9, d_v != d_k, chunkSize=2"),
    make: ({ rng }) => args(rng, 2, 5, 9, 4, 3, 2),
  },
  { id: "chunked-size-above-length", kind: "public", name: name("chunkSize > T: T=4, chunkSize=16", "chunkSize > T: T=4, chunkSize=16"), make: ({ rng }) => args(rng, 1, 4, 4, 6, 6, 16) },
  { id: "chunked-single-token", kind: "public", name: name("T=1", "T=1"), make: ({ rng }) => args(rng, 3, 1, 1, 4, 2, 4) },
  {
    id: "chunked-long-sequence",
    kind: "pitfall",
    name: name("長い系列: B=1, T=2304, d=8, chunkSize=256 (T×T 行列は 21 MB > 16 MB)", "a long sequence: B=1, T=2304, d=8, chunkSize=256 (the T x T matrix is 21 MB > 16 MB)"),
    make: ({ rng }) => args(rng, 1, 2304, 2304, 8, 8, 256),
  },
  {
    // chunkSize is a limit, not a hint: 128 queries against 40,000 keys is a 20 MB block of scores.
    id: "chunked-small-chunk-size",
    kind: "pitfall",
    name: name("chunkSize=4 を守る: T_q=200, T_k=40000 (128 クエリ分のスコアだけで 20 MB)", "keep to chunkSize = 4: T_q=200, T_k=40000 (scores for 128 queries alone are 20 MB)"),
    make: ({ rng }) => args(rng, 1, 200, 40000, 4, 4, 4),
  },
  {
    id: "chunked-overflow-logits",
    kind: "pitfall",
    name: name("大きなスコア (> 100): max を引かない exp は float32 で溢れる", "large scores (> 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [randn(rng, [1, 6, 4], 12), randn(rng, [1, 6, 4], 12), randn(rng, [1, 6, 4]), 4],
  },
  {
    id: "chunked-all-keys",
    kind: "pitfall",
    name: name("各クエリは全てのキーを見る: T=12, chunkSize=4", "every query sees every key: T=12, chunkSize=4"),
    make: ({ rng }) => args(rng, 2, 12, 12, 4, 4, 4),
  },
  {
    id: "chunked-uneven-last-chunk",
    kind: "pitfall",
    name: name("最後の塊が短い: T=10, chunkSize=4", "a shorter last chunk: T=10, chunkSize=4"),
    make: ({ rng }) => args(rng, 1, 10, 10, 4, 4, 4),
  },
  {
    id: "chunked-scaled",
    kind: "pitfall",
    name: name("d_k=32: √d_k で割る", "d_k=32: divide by sqrt(d_k)"),
    make: ({ rng }) => args(rng, 1, 6, 6, 32, 4, 2),
  },
  hidden("chunked-hidden-random-1", "ランダムな形状 1", "random shapes 1", (rng) => {
    const t = rng.int(2, 20);
    const d = rng.int(2, 10);
    return args(rng, rng.int(1, 4), t, t, d, d, rng.int(1, t + 1));
  }),
  hidden("chunked-hidden-random-2", "ランダムな形状 2", "random shapes 2", (rng) => {
    const t = rng.int(2, 20);
    return args(rng, rng.int(1, 4), t, t, rng.int(2, 10), rng.int(1, 8), rng.int(1, t + 1));
  }),
  hidden("chunked-hidden-remainder", "割り切れない長さ", "a length that is not a multiple of the chunk size", (rng) => {
    const c = rng.int(2, 6);
    const t = c * rng.int(1, 5) + rng.int(1, c);
    return args(rng, 2, t, t, 4, 4, c);
  }),
  hidden("chunked-hidden-more-keys", "T_k > T_q", "T_k > T_q", (rng) => {
    const tq = rng.int(1, 10);
    return args(rng, rng.int(1, 3), tq, tq + rng.int(1, 10), rng.int(2, 8), rng.int(1, 6), rng.int(1, 5));
  }),
  hidden("chunked-hidden-t1", "T=1", "T=1", (rng) => args(rng, rng.int(1, 4), 1, 1, rng.int(1, 6), rng.int(1, 6), rng.int(1, 4))),
  hidden("chunked-hidden-b1", "B=1", "B=1", (rng) => {
    const t = rng.int(3, 25);
    return args(rng, 1, t, t, 6, 6, rng.int(1, 8));
  }),
  hidden("chunked-hidden-chunk-one", "chunkSize=1", "chunkSize=1", (rng) => {
    const t = rng.int(2, 12);
    return args(rng, 2, t, t, 3, 3, 1);
  }),
  hidden("chunked-hidden-big-chunk", "chunkSize ≥ T", "chunkSize >= T", (rng) => {
    const t = rng.int(2, 10);
    return args(rng, 2, t, t, 5, 5, t + rng.int(0, 10));
  }),
  hidden("chunked-hidden-wide", "d_k=48", "d_k=48", (rng) => {
    const t = rng.int(4, 16);
    return args(rng, 1, t, t, 48, 8, rng.int(2, 6));
  }),
  hidden("chunked-hidden-medium", "T=64", "T=64", (rng) => args(rng, 2, 64, 64, 8, 8, rng.pick([7, 16, 30]))),
  hidden("chunked-hidden-long", "長い系列 (T×T 行列はメモリ制限を超える)", "a long sequence (the T x T matrix exceeds the memory limit)", longSequence),
];

/** Attention of each chunk of queries to the keys of the same positions only: the mistake. */
function chunkLocal(q: WireTensor, k: WireTensor, v: WireTensor, chunk: number): Float64Array | null {
  const [b, t, dk] = q.$tensor.shape as [number, number, number];
  const tk = k.$tensor.shape[1] ?? 0;
  const dv = v.$tensor.shape[2] ?? 0;
  const out = new Float64Array(b * t * dv);
  for (let start = 0; start < t; start += chunk) {
    const len = Math.min(chunk, t - start);
    if (start + len > tk) return null;
    const slice = (x: WireTensor, rows: number, width: number, from: number): WireTensor => {
      const data = new Float32Array(b * len * width);
      for (let n = 0; n < b; n++) data.set(x.$tensor.data.subarray((n * rows + from) * width, (n * rows + from + len) * width), n * len * width);
      return { $tensor: { dtype: "float32", shape: [b, len, width], data } };
    };
    const part = hostAttention(slice(q, t, dk, start), slice(k, tk, dk, start), slice(v, tk, dv, start), { scale: true }).output;
    for (let n = 0; n < b; n++) out.set(part.subarray(n * len * dv, (n + 1) * len * dv), (n * t + start) * dv);
  }
  return out;
}

const CHUNK_SIZES = [1, 4, 5, 13, 20];

/** The student's result equals full attention computed on the host, whatever the chunk size. */
const equalsFullAttention: InvariantDef = {
  id: "chunked-inv-equals-full-attention",
  name: name("chunkSize が 1, 4, 5, 13, 20 のどれでも、結果は全体の注意と同じ", "for chunkSize 1, 4, 5, 13 and 20 alike, the result equals full attention"),
  async run({ rng, call, tolerance }) {
    const [b, t, d] = [2, 13, 4];
    const q = randn(rng, [b, t, d]);
    const k = randn(rng, [b, t, d]);
    const v = randn(rng, [b, t, d]);
    const full = hostAttention(q, k, v, { scale: true }).output;
    for (const chunk of CHUNK_SIZES) {
      const got = await call([q, k, v, chunk]);
      if (!isWireTensor(got)) {
        return { ok: false, message: name(`chunkSize=${chunk}: Tensor を返してください`, `chunkSize=${chunk}: return a Tensor`) };
      }
      const shape = got.$tensor.shape;
      if (shape.length !== 3 || shape[0] !== b || shape[1] !== t || shape[2] !== d) {
        const dropped = shape.length === 3 && shape[0] === b && shape[2] === d && (shape[1] ?? 0) < t && (shape[1] ?? 0) % Math.min(chunk, t) === 0;
        return {
          ok: false,
          ...(dropped ? { pitfall: "chunk-remainder-dropped" } : {}),
          message: name(
            `chunkSize=${chunk}、T=${t}: 出力の形状は ${shapeText([b, t, d])} のはずですが ${shapeText(shape)} でした${dropped ? "。最後の短い塊が抜けています" : ""}`,
            `chunkSize=${chunk}, T=${t}: the output should have shape ${shapeText([b, t, d])}, got ${shapeText(shape)}${dropped ? ": the last, shorter chunk is missing" : ""}`,
          ),
        };
      }
      const diff = firstDifference(full, got, tolerance.atol, tolerance.rtol);
      if (diff === null) continue;
      const local = chunkLocal(q, k, v, chunk);
      const isLocal = local !== null && firstDifference(local, got, tolerance.atol, tolerance.rtol) === null;
      const at = shapeText(unravel(diff.index, [b, t, d]));
      return {
        ok: false,
        ...(isLocal ? { pitfall: "chunk-local-attention" } : {}),
        message: name(
          `chunkSize=${chunk} で、全体の注意 (採点側で float64 で計算) と ${at} が違います: 期待 ${diff.expected.toPrecision(6)}、実際 ${diff.actual}${isLocal ? "。あなたの結果は「各クエリが自分の塊のキーだけを見る」注意と一致します。分けるのはクエリだけで、キーと値は全体を使います" : ""}`,
          `with chunkSize=${chunk} the result differs from full attention (computed by the grader in float64) at ${at}: expected ${diff.expected.toPrecision(6)}, got ${diff.actual}${isLocal ? "; your result equals attention in which each query sees only the keys of its own chunk: split only the queries and keep all keys and values" : ""}`,
        ),
      };
    }
    return { ok: true };
  },
};

export default defineExercise({
  cases,
  invariants: [equalsFullAttention],
});
