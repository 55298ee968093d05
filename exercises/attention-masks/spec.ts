import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import {
  type CaseDef,
  type CompareVerdict,
  type InvariantDef,
  type InvariantOutcome,
  type Rng,
  copyTensor,
  defineExercise,
  randn,
  unravel,
} from "@tfm/spec";
import { hostAttention } from "@tfm/spec/host-attention";

const name = (ja: string, en: string): Localized => ({ ja, en });

const PARTS = ["causal", "padding", "combined"] as const;
type Part = (typeof PARTS)[number];

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

/** Lengths in [min, t]; min 0 allows an empty sequence. */
function lengths(rng: Rng, b: number, t: number, min = 1): number[] {
  return Array.from({ length: b }, () => rng.int(min, t + 1));
}

const cases: CaseDef[] = [
  { id: "masks-worked-example", kind: "public", name: name("問題文の例: 長さ [3, 2], T=4", "the statement's example: lengths [3, 2], T=4"), make: () => [[3, 2], 4] },
  { id: "masks-no-padding", kind: "public", name: name("パディングなし: 長さ [5, 5, 5], T=5", "no padding: lengths [5, 5, 5], T=5"), make: () => [[5, 5, 5], 5] },
  { id: "masks-single-token", kind: "public", name: name("T=1, B=1", "T=1, B=1"), make: () => [[1], 1] },
  { id: "masks-batch-one", kind: "public", name: name("B=1: 長さ [4], T=7", "B=1: lengths [4], T=7"), make: () => [[4], 7] },
  { id: "masks-empty-sequence", kind: "public", name: name("長さ 0 の系列を含む: [0, 3, 1], T=3", "an empty sequence: lengths [0, 3, 1], T=3"), make: () => [[0, 3, 1], 3] },
  { id: "masks-future-direction", kind: "pitfall", name: name("因果マスクの向き: T=6", "direction of the causal mask: T=6"), make: () => [[6, 6], 6] },
  { id: "masks-self-visible", kind: "pitfall", name: name("各トークンは自分自身を見られる: T=5", "every token may see itself: T=5"), make: () => [[5], 5] },
  { id: "masks-padding-direction", kind: "pitfall", name: name("パディングマスクの向き: 長さ [2, 5, 4], T=5", "direction of the padding mask: lengths [2, 5, 4], T=5"), make: () => [[2, 5, 4], 5] },
  { id: "masks-and-not-or", kind: "pitfall", name: name("合成は AND: 長さ [2, 4], T=6", "combined with AND: lengths [2, 4], T=6"), make: () => [[2, 4], 6] },
  hidden("masks-hidden-random-1", "ランダム 1", "random 1", (rng) => {
    const t = rng.int(2, 12);
    return [lengths(rng, rng.int(1, 5), t), t];
  }),
  hidden("masks-hidden-random-2", "ランダム 2", "random 2", (rng) => {
    const t = rng.int(2, 12);
    return [lengths(rng, rng.int(1, 5), t), t];
  }),
  hidden("masks-hidden-with-empty", "長さ 0 を含むランダム", "random, with empty sequences", (rng) => {
    const t = rng.int(2, 9);
    return [[...lengths(rng, rng.int(1, 4), t, 0), 0], t];
  }),
  hidden("masks-hidden-t1", "T=1", "T=1", (rng) => [Array.from({ length: rng.int(1, 5) }, () => rng.int(0, 2)), 1]),
  hidden("masks-hidden-b1", "B=1", "B=1", (rng) => {
    const t = rng.int(2, 15);
    return [lengths(rng, 1, t), t];
  }),
  hidden("masks-hidden-all-full", "パディングなし", "no padding", (rng) => {
    const t = rng.int(2, 10);
    return [Array.from({ length: rng.int(1, 4) }, () => t), t];
  }),
  hidden("masks-hidden-all-one", "全ての長さが 1", "every length 1", (rng) => {
    const t = rng.int(2, 10);
    return [Array.from({ length: rng.int(1, 4) }, () => 1), t];
  }),
  hidden("masks-hidden-long", "T=40", "T=40", (rng) => [lengths(rng, 3, 40), 40]),
  hidden("masks-hidden-many", "B=8", "B=8", (rng) => {
    const t = rng.int(3, 9);
    return [lengths(rng, 8, t, 0), t];
  }),
  hidden("masks-hidden-two", "T=2", "T=2", (rng) => [lengths(rng, rng.int(1, 4), 2, 0), 2]),
];

// ---------------------------------------------------------------- the rules, written out

function argsOf(args: readonly WireValue[]): { lens: number[]; t: number } {
  const lens = args[0];
  const t = args[1];
  if (!Array.isArray(lens) || typeof t !== "number") throw new Error("attention-masks: arguments must be (lengths: number[], seqLen: number)");
  return { lens: lens.map((l) => (typeof l === "number" ? l : 0)), t };
}

const causalAt = (i: number, j: number) => (j <= i ? 1 : 0);
const paddingAt = (lens: number[], b: number, j: number) => (j < (lens[b] ?? 0) ? 1 : 0);

/** Value of `part` at a flat index of its own shape, from a rule on (b, i, j). */
type Rule = (b: number, i: number, j: number) => number;

function valueOf(part: Part, flat: number, t: number, rule: Rule): number {
  if (part === "causal") return rule(0, Math.floor(flat / t), flat % t);
  if (part === "padding") return rule(Math.floor(flat / t), 0, flat % t);
  return rule(Math.floor(flat / (t * t)), Math.floor(flat / t) % t, flat % t);
}

function matches(part: Part, data: ArrayLike<number>, t: number, rule: Rule): boolean {
  for (let k = 0; k < data.length; k++) if ((data[k] === 0 ? 0 : 1) !== valueOf(part, k, t, rule)) return false;
  return true;
}

function expectedShape(part: Part, b: number, t: number): number[] {
  return part === "causal" ? [t, t] : part === "padding" ? [b, 1, t] : [b, t, t];
}

const SHAPE_HELP: Record<Part, Localized> = {
  causal: name("(T, T): 行がクエリ i、列がキー j", "(T, T): rows are queries i, columns keys j"),
  padding: name(
    "(B, 1, T): 真ん中の 1 がクエリの軸にブロードキャストされます (unsqueeze(1))",
    "(B, 1, T): the 1 in the middle broadcasts over the queries (unsqueeze(1))",
  ),
  combined: name("(B, T, T): 因果マスク (T, T) とパディングマスク (B, 1, T) をブロードキャストした形", "(B, T, T): the causal (T, T) and padding (B, 1, T) masks broadcast together"),
};

function where(part: Part, flat: number, t: number, lens: number[]): Localized {
  if (part === "causal") {
    const i = Math.floor(flat / t);
    const j = flat % t;
    return name(`causal[${i}][${j}] (クエリ ${i}、キー ${j})`, `causal[${i}][${j}] (query ${i}, key ${j})`);
  }
  if (part === "padding") {
    const b = Math.floor(flat / t);
    const j = flat % t;
    return name(`padding[${b}][0][${j}] (系列 ${b} の長さ ${lens[b]}、位置 ${j})`, `padding[${b}][0][${j}] (sequence ${b} of length ${lens[b]}, position ${j})`);
  }
  const [b, i, j] = unravel(flat, [lens.length, t, t]) as [number, number, number];
  return name(`combined[${b}][${i}][${j}] (系列 ${b} の長さ ${lens[b]}、クエリ ${i}、キー ${j})`, `combined[${b}][${i}][${j}] (sequence ${b} of length ${lens[b]}, query ${i}, key ${j})`);
}

/** Why the correct value at (b, i, j) is what it is. */
function reason(part: Part, b: number, i: number, j: number, lens: number[]): Localized {
  const len = lens[b] ?? 0;
  if (part !== "padding" && j > i) return name(`キー ${j} はクエリ ${i} より未来なので 0`, `key ${j} is in the future of query ${i}, so 0`);
  if (part !== "causal" && j >= len) return name(`位置 ${j} はパディング (長さ ${len}) なので 0`, `position ${j} is padding (length ${len}), so 0`);
  if (part === "causal") return name(j === i ? "各トークンは自分自身を見てよいので 1" : `キー ${j} は過去なので 1`, j === i ? "every token may see itself, so 1" : `key ${j} is in the past, so 1`);
  if (part === "padding") return name(`位置 ${j} は本物のトークン (長さ ${len}) なので 1`, `position ${j} is a real token (length ${len}), so 1`);
  return name(`キー ${j} は未来でもパディングでもないので 1`, `key ${j} is neither in the future nor padding, so 1`);
}

function fail(message: Localized, pitfall?: string): CompareVerdict {
  return pitfall === undefined ? { ok: false, message } : { ok: false, message, pitfall };
}

function describeValue(v: WireValue | undefined): string {
  if (v === undefined) return "undefined";
  if (isWireTensor(v)) return `Tensor ${shapeText(v.$tensor.shape)}`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return v === null ? "null" : typeof v;
}

/** Masks are compared numerically whatever their dtype: bool, int32 or float32, values 0 or 1. */
function compareMasks(expected: WireValue, actual: WireValue, args: readonly WireValue[]): CompareVerdict {
  const { lens, t } = argsOf(args);
  const b = lens.length;
  if (actual === null || typeof actual !== "object" || Array.isArray(actual) || isWireTensor(actual)) {
    return fail(name(
      `{ causal, padding, combined } の 3 つの Tensor を持つオブジェクトを返してください (返された値: ${describeValue(actual)})`,
      `return an object with three Tensors { causal, padding, combined } (got ${describeValue(actual)})`,
    ));
  }
  const missing = PARTS.filter((k) => !Object.hasOwn(actual, k));
  const extra = Object.keys(actual).filter((k) => !(PARTS as readonly string[]).includes(k));
  if (missing.length > 0 || extra.length > 0) {
    return fail(name(
      `キーは causal, padding, combined の 3 つです (不足: ${missing.join(", ") || "なし"}、余分: ${extra.join(", ") || "なし"})`,
      `the keys are causal, padding and combined (missing: ${missing.join(", ") || "none"}; unexpected: ${extra.join(", ") || "none"})`,
    ));
  }
  const got: Partial<Record<Part, WireTensor>> = {};
  for (const part of PARTS) {
    const v = actual[part];
    if (!isWireTensor(v)) return fail(name(`${part} が Tensor ではありません (${describeValue(v)})`, `${part} is not a Tensor (${describeValue(v)})`));
    const want = expectedShape(part, b, t);
    const shape = v.$tensor.shape;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      return fail(name(
        `${part} の形状は ${shapeText(want)} のはずですが ${shapeText(shape)} でした。${SHAPE_HELP[part].ja}`,
        `${part} should have shape ${shapeText(want)}, got ${shapeText(shape)}; ${SHAPE_HELP[part].en}`,
      ));
    }
    const data = v.$tensor.data;
    for (let k = 0; k < data.length; k++) {
      const x = data[k] as number;
      if (x !== 0 && x !== 1) {
        const at = where(part, k, t, lens);
        const additive = x === -Infinity || x <= -1e4;
        return fail(name(
          `マスクの値は 0 か 1 です (1 = 見てよい) が、${at.ja} が ${x} でした${additive ? "。これは softmax 前に足す加算マスク (0 / -∞) の形です。この演習では 0/1 のマスクを返してください" : ""}`,
          `mask values are 0 or 1 (1 = may attend), but ${at.en} is ${x}${additive ? "; that is an additive mask (0 / -inf) added before the softmax: return 0/1 masks here" : ""}`,
        ));
      }
    }
    got[part] = v;
  }

  const rules: Record<Part, Rule> = {
    causal: (_b, i, j) => causalAt(i, j),
    padding: (bb, _i, j) => paddingAt(lens, bb, j),
    combined: (bb, i, j) => causalAt(i, j) & paddingAt(lens, bb, j),
  };
  const exp = isWireTensor(expected) ? null : expected;
  for (const part of PARTS) {
    const data = (got[part] as WireTensor).$tensor.data;
    const reference = exp !== null && typeof exp === "object" && !Array.isArray(exp) ? exp[part] : undefined;
    const refData = isWireTensor(reference) ? reference.$tensor.data : null;
    let first = -1;
    let count = 0;
    for (let k = 0; k < data.length; k++) {
      const want = refData !== null ? ((refData[k] as number) === 0 ? 0 : 1) : valueOf(part, k, t, rules[part]);
      if ((data[k] === 0 ? 0 : 1) !== want) {
        count++;
        if (first < 0) first = k;
      }
    }
    if (first < 0) continue;

    const inverted: Rule = (bb, i, j) => 1 - rules[part](bb, i, j);
    const paddingInverted = matches("padding", (got.padding as WireTensor).$tensor.data, t, (bb, _i, j) => 1 - paddingAt(lens, bb, j));
    const diagnosis = diagnose(part, data, t, lens, inverted, paddingInverted);
    const [bb, i, j] =
      part === "causal" ? [0, Math.floor(first / t), first % t] : part === "padding" ? [Math.floor(first / t), 0, first % t] : (unravel(first, [b, t, t]) as [number, number, number]);
    const gotValue = data[first] === 0 ? 0 : 1;
    const at = where(part, first, t, lens);
    const why = reason(part, bb, i, j, lens);
    const head = name(
      `${part}: ${data.length} 個中 ${count} 個が違います。最初は ${at.ja} が ${gotValue} ですが、${why.ja}です`,
      `${part}: ${count} of ${data.length} values differ; first ${at.en} is ${gotValue}, but ${why.en}`,
    );
    if (diagnosis === null) return fail(head);
    return fail(name(`${head.ja}。${diagnosis.message.ja}`, `${head.en}; ${diagnosis.message.en}`), diagnosis.pitfall);
  }
  return { ok: true };
}

function diagnose(
  part: Part,
  data: ArrayLike<number>,
  t: number,
  lens: number[],
  inverted: Rule,
  paddingInverted: boolean,
): { message: Localized; pitfall?: string } | null {
  // With T = 1 the strict lower triangle and the inverted mask coincide: the diagonal says more,
  // unless the padding mask is inverted too.
  if (part === "causal" && !(t === 1 && paddingInverted) && matches(part, data, t, (_b, i, j) => (j < i ? 1 : 0))) {
    return { pitfall: "causal-mask-diagonal-excluded", message: name("対角が 0 です: 各トークンが自分自身を見られません", "the diagonal is 0: no token may see itself") };
  }
  if (matches(part, data, t, inverted)) {
    if (part === "padding") {
      return { pitfall: "padding-mask-inverted", message: name("パディングマスクが逆です: 本物のトークンが 0、パディングが 1 になっています", "the padding mask is inverted: real tokens are 0 and padding is 1") };
    }
    return {
      pitfall: "mask-inverted",
      message: name(
        "マスク全体が逆です: 1 が「隠す」位置になっています。この演習では 1 = 見てよい、0 = 見てはいけない です",
        "the whole mask is inverted: 1 marks the positions to hide; here 1 = may attend and 0 = must not",
      ),
    };
  }
  if (part === "causal") {
    if (matches(part, data, t, (_b, i, j) => (j >= i ? 1 : 0))) {
      return { pitfall: "causal-mask-upper-triangle", message: name("上三角 (triu) になっています: クエリは自分と未来だけを見ています", "this is the upper triangle (triu): queries see themselves and the future") };
    }
    return null;
  }
  if (part === "padding") {
    if (matches(part, data, t, (b, _i, j) => (j <= (lens[b] ?? 0) ? 1 : 0))) {
      return { message: name("1 つずれています: 長さ L の系列の本物のトークンは位置 0 … L-1 です", "off by one: a sequence of length L has its real tokens at positions 0 ... L-1") };
    }
    return null;
  }
  if (matches(part, data, t, (b, i, j) => causalAt(i, j) | paddingAt(lens, b, j))) {
    return {
      pitfall: "masks-combined-with-or",
      message: name("combined = causal OR padding になっています。両方が 1 の位置だけが見てよい位置です (AND)", "combined is causal OR padding; a key is visible only where both are 1 (AND)"),
    };
  }
  if (matches(part, data, t, (_b, i, j) => causalAt(i, j))) {
    return { message: name("combined が因果マスクそのままで、パディングが反映されていません", "combined is just the causal mask: the padding is missing") };
  }
  if (matches(part, data, t, (b, _i, j) => paddingAt(lens, b, j))) {
    return { message: name("combined がパディングマスクそのままで、因果マスクが反映されていません", "combined is just the padding mask: the causal part is missing") };
  }
  return null;
}

// ---------------------------------------------------------------- invariants: the masks in use

/** The student's combined mask, or an outcome explaining why it cannot be used. */
async function combinedMask(call: (args: WireValue[]) => Promise<WireValue>, lens: number[], t: number): Promise<WireTensor | InvariantOutcome> {
  const r = await call([lens, t]);
  const m = r !== null && typeof r === "object" && !Array.isArray(r) && !isWireTensor(r) ? r.combined : undefined;
  const want = [lens.length, t, t];
  if (!isWireTensor(m) || m.$tensor.shape.length !== 3 || m.$tensor.shape.some((d, i) => d !== want[i])) {
    return { ok: false, message: name(`combined が形状 ${shapeText(want)} の Tensor ではないため、注意に使えません`, `combined is not a Tensor of shape ${shapeText(want)}, so it cannot be used in attention`) };
  }
  return m;
}

/** Adds noise to the keys and values at (b, j) where `which(b, j)`. */
function perturbKeys(x: WireTensor, rng: Rng, which: (b: number, j: number) => boolean): WireTensor {
  const out = copyTensor(x);
  const [, t, d] = out.$tensor.shape as [number, number, number];
  const data = out.$tensor.data;
  for (let k = 0; k < data.length; k++) {
    const b = Math.floor(k / (t * d));
    const j = Math.floor(k / d) % t;
    if (which(b, j)) data[k] = (data[k] as number) + 2 * rng.normal();
  }
  return out;
}

/** Attention with the student's combined mask; changing the keys/values that `which` selects must not change any output row that `kept` selects. */
function maskInUse(
  id: string,
  label: Localized,
  setup: (rng: Rng) => { lens: number[]; t: number },
  which: (lens: number[], t: number) => (b: number, j: number) => boolean,
  kept: (lens: number[], t: number) => (b: number, i: number) => boolean,
  leak: (b: number, i: number, lens: number[]) => Localized,
): InvariantDef {
  return {
    id,
    name: label,
    async run({ rng, call }) {
      const { lens, t } = setup(rng);
      const mask = await combinedMask(call, lens, t);
      if (!isWireTensor(mask)) return mask;
      const d = 3;
      const q = randn(rng, [lens.length, t, d]);
      const k = randn(rng, [lens.length, t, d]);
      const v = randn(rng, [lens.length, t, d]);
      const sel = which(lens, t);
      const before = hostAttention(q, k, v, { scale: true, mask }).output;
      const after = hostAttention(q, perturbKeys(k, rng, sel), perturbKeys(v, rng, sel), { scale: true, mask }).output;
      const keep = kept(lens, t);
      for (let n = 0; n < lens.length; n++) {
        for (let i = 0; i < t; i++) {
          if (!keep(n, i)) continue;
          for (let p = 0; p < d; p++) {
            const a = before[(n * t + i) * d + p] as number;
            const c = after[(n * t + i) * d + p] as number;
            if (!(Math.abs(a - c) <= 1e-9 + 1e-9 * Math.abs(a))) return { ok: false, message: leak(n, i, lens) };
          }
        }
      }
      return { ok: true };
    },
  };
}

const futureDoesNotLeak = maskInUse(
  "masks-inv-future-does-not-leak",
  name("あなたの combined を使った注意で、未来のトークンを変えても過去の出力は変わらない", "attention with your combined mask: changing future tokens leaves earlier outputs unchanged"),
  (rng) => {
    const t = rng.int(6, 10);
    return { lens: [t, t - rng.int(1, 3)], t };
  },
  (_lens, t) => (_b, j) => j >= Math.floor(t / 2),
  (_lens, t) => (_b, i) => i < Math.floor(t / 2),
  (b, i) =>
    name(
      `combined を注意に使うと、後半のトークンのキーと値を変えただけで系列 ${b} のクエリ ${i} の出力が変わりました: 未来が漏れています`,
      `with combined used in attention, changing only the keys and values of later tokens changed the output of query ${i} in sequence ${b}: the future leaks`,
    ),
);

const paddingIsIgnored = maskInUse(
  "masks-inv-padding-ignored",
  name("あなたの combined を使った注意で、パディングの中身を変えても出力は変わらない", "attention with your combined mask: changing the padding changes no output"),
  (rng) => {
    const t = rng.int(5, 9);
    return { lens: [t, rng.int(1, t - 1), rng.int(1, t)], t };
  },
  (lens) => (b, j) => j >= (lens[b] ?? 0),
  () => () => true,
  (b, i, lens) =>
    name(
      `combined を注意に使うと、パディング (系列 ${b} の位置 ${lens[b]} 以降) の値を変えただけでクエリ ${i} の出力が変わりました: パディングに重みが乗っています`,
      `with combined used in attention, changing only the padding (positions ${lens[b]} on of sequence ${b}) changed the output of query ${i}: the padding gets weight`,
    ),
);

export default defineExercise({
  cases,
  compare: compareMasks,
  invariants: [futureDoesNotLeak, paddingIsIgnored],
});
