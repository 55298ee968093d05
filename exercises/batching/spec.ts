import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { type CaseDef, type CompareVerdict, type InvariantDef, type InvariantOutcome, type Rng, defineExercise } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

// ---------------------------------------------------------------- inputs

interface BatchStyle {
  batch: [number, number];
  length: [number, number];
  vocab: number;
  /** Chance that a real token equals padId. */
  padCollision: number;
}

const STYLE: BatchStyle = { batch: [2, 5], length: [0, 9], vocab: 50, padCollision: 0 };

function randomBatch(rng: Rng, style: BatchStyle, padId: number): number[][] {
  const b = rng.int(style.batch[0], style.batch[1] + 1);
  return Array.from({ length: b }, () =>
    Array.from({ length: rng.int(style.length[0], style.length[1] + 1) }, () => (rng.random() < style.padCollision ? padId : rng.int(0, style.vocab))),
  );
}

function randomPadId(rng: Rng, vocab: number): number {
  return rng.pick([0, 1, vocab, vocab + 1, rng.int(2, Math.max(3, vocab))]);
}

function args(sequences: number[][], padId: number): WireValue[] {
  return [sequences.map((s) => [...s]), padId];
}

// ---------------------------------------------------------------- reading results

interface Batch {
  ids: WireTensor;
  mask: WireTensor;
}

function asBatch(v: WireValue | undefined): Batch | string {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v) || isWireTensor(v)) {
    return "return an object { ids, mask }";
  }
  const { ids, mask } = v as Record<string, WireValue>;
  if (!isWireTensor(ids)) return "ids must be a Tensor";
  if (!isWireTensor(mask)) return "mask must be a Tensor";
  return { ids, mask };
}

const FORM_JA: Record<string, string> = {
  "return an object { ids, mask }": "オブジェクト { ids, mask } を返してください",
  "ids must be a Tensor": "ids は Tensor でなければなりません",
  "mask must be a Tensor": "mask は Tensor でなければなりません",
};

function formProblem(text: string): CompareVerdict & InvariantOutcome {
  return { ok: false, message: { ja: FORM_JA[text] ?? text, en: text } };
}

const at2 = (t: WireTensor, b: number, j: number): number => {
  const cols = t.$tensor.shape[1] ?? 0;
  return Number(t.$tensor.data[b * cols + j]);
};

// ---------------------------------------------------------------- diagnosis

/** Row b of a right-padded batch, read back: the ids where the mask is 1, in order. */
function unpadRow(batch: Batch, b: number, keep: 0 | 1): number[] {
  const cols = batch.ids.$tensor.shape[1] ?? 0;
  const out: number[] = [];
  for (let j = 0; j < cols; j++) if ((at2(batch.mask, b, j) !== 0 ? 1 : 0) === keep) out.push(at2(batch.ids, b, j));
  return out;
}

/** Which known mistake explains an actual batch of the right shape (same B and T as expected). */
function diagnoseValues(sequences: number[][], padId: number, actual: Batch, expected: Batch): string | undefined {
  const t = expected.ids.$tensor.shape[1] ?? 0;
  let idsEqual = true;
  let maskEqual = true;
  let maskInverted = true;
  let leftIds = true;
  let zeroPadded = true;
  let maskFromIds = true;
  sequences.forEach((s, b) => {
    const start = t - s.length;
    for (let j = 0; j < t; j++) {
      const real = j < s.length;
      const id = at2(actual.ids, b, j);
      const m = at2(actual.mask, b, j) !== 0 ? 1 : 0;
      const want = at2(expected.ids, b, j);
      if (id !== want) idsEqual = false;
      if (m !== (real ? 1 : 0)) maskEqual = false;
      if (m !== (real ? 0 : 1)) maskInverted = false;
      if (id !== (j >= start ? (s[j - start] as number) : padId)) leftIds = false;
      if (id !== (real ? want : 0)) zeroPadded = false;
      if (m !== (real && s[j] !== padId ? 1 : 0)) maskFromIds = false;
    }
  });
  if (leftIds && !idsEqual) return "batch-left-padded";
  if (idsEqual && maskInverted) return "padding-mask-inverted";
  if (idsEqual && maskFromIds && !maskEqual) return "mask-from-pad-id";
  if (zeroPadded && !idsEqual) return "pad-id-ignored";
  return undefined;
}

/** First [row, col, expected, actual] that differs; values compare as numbers, whatever the dtype. */
function firstMismatch(expected: WireTensor, actual: WireTensor): number[] | null {
  const [rows, cols] = [expected.$tensor.shape[0] ?? 0, expected.$tensor.shape[1] ?? 0];
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < cols; j++) {
      const e = at2(expected, b, j);
      const a = at2(actual, b, j);
      if (a !== e) return [b, j, e, a];
    }
  }
  return null;
}

function compareBatch(expectedValue: WireValue, actualValue: WireValue, callArgs: readonly WireValue[]): CompareVerdict {
  const expected = asBatch(expectedValue);
  if (typeof expected === "string") throw new Error(`reference: ${expected}`);
  const actual = asBatch(actualValue);
  if (typeof actual === "string") return formProblem(actual);
  const sequences = callArgs[0] as number[][];
  const padId = callArgs[1] as number;
  const [b, t] = expected.ids.$tensor.shape as [number, number];
  const want = shapeText([b, t]);

  if (actual.ids.$tensor.dtype !== "int32") {
    return {
      ok: false,
      message: {
        ja: `ids の dtype が ${actual.ids.$tensor.dtype} です。トークン ID は int32 で返してください (torch.tensor(rows, { dtype: torch.int32 }))。埋め込み層は整数の ID しか受け付けません`,
        en: `ids has dtype ${actual.ids.$tensor.dtype}; token ids must be int32 (torch.tensor(rows, { dtype: torch.int32 })), the only thing an embedding lookup accepts`,
      },
      pitfall: "ids-float-dtype",
    };
  }
  for (const [label, tensor] of [["ids", actual.ids], ["mask", actual.mask]] as const) {
    const shape = tensor.$tensor.shape;
    if (shape.length !== 2 || shape[0] !== b || shape[1] !== t) {
      const offByOne = shape.length === 2 && shape[0] === b && Math.abs((shape[1] ?? 0) - t) === 1;
      return {
        ok: false,
        message: {
          ja: `${label} の形状は ${want} (B = 系列の数, T = 最長の系列の長さ ${t}) のはずが ${shapeText(shape)} でした`,
          en: `${label} should have shape ${want} (B = number of sequences, T = the longest length, ${t}) but has ${shapeText(shape)}`,
        },
        ...(offByOne ? { pitfall: "batch-length-off-by-one" } : {}),
      };
    }
  }
  const idsAt = firstMismatch(expected.ids, actual.ids);
  const maskAt = firstMismatch(expected.mask, actual.mask);
  if (idsAt === null && maskAt === null) return { ok: true };
  const pitfall = diagnoseValues(sequences, padId, actual, expected);
  const [label, where] = idsAt !== null ? ["ids", idsAt] : ["mask", maskAt as number[]];
  const [row, col, e, a] = where as [number, number, number, number];
  const rowText = (batch: Batch): string => `[${Array.from({ length: t }, (_, j) => at2(label === "ids" ? batch.ids : batch.mask, row, j)).join(", ")}]`;
  return {
    ok: false,
    message: {
      ja: `${label}[${row}, ${col}] は ${e} のはずが ${a} でした (系列 ${row} の長さ ${sequences[row]?.length ?? 0}、padId ${padId})。期待する行 ${rowText(expected)}、実際の行 ${rowText(actual)}`,
      en: `${label}[${row}, ${col}] should be ${e} but is ${a} (sequence ${row} has length ${sequences[row]?.length ?? 0}, padId ${padId}); expected row ${rowText(expected)}, actual row ${rowText(actual)}`,
    },
    ...(pitfall !== undefined ? { pitfall } : {}),
  };
}

// ---------------------------------------------------------------- invariants

type Call = (args: WireValue[]) => Promise<WireValue>;

async function batchOf(call: Call, sequences: number[][], padId: number): Promise<Batch | InvariantOutcome> {
  const got = asBatch(await call(args(sequences, padId)));
  return typeof got === "string" ? formProblem(got) : got;
}

const isOutcome = (v: Batch | InvariantOutcome): v is InvariantOutcome => "ok" in v;

const rowsOk = (batch: Batch, b: number): boolean => (batch.ids.$tensor.shape[0] ?? 0) > b && (batch.mask.$tensor.shape[0] ?? 0) > b;

const unpads: InvariantDef = {
  id: "batch-inv-unpad",
  name: name("mask が 1 の位置の ID を取り出すと元の系列に戻る", "the ids where the mask is 1 give back the sequences"),
  async run({ rng, call }) {
    for (let k = 0; k < 6; k++) {
      const vocab = rng.int(5, 200);
      const padId = randomPadId(rng, vocab);
      const sequences = randomBatch(rng, { ...STYLE, vocab, padCollision: 0.1 }, padId);
      const batch = await batchOf(call, sequences, padId);
      if (isOutcome(batch)) return batch;
      for (let b = 0; b < sequences.length; b++) {
        const s = sequences[b] as number[];
        const back = rowsOk(batch, b) ? unpadRow(batch, b, 1) : [];
        if (back.length !== s.length || back.some((v, j) => v !== s[j])) {
          const inverted = rowsOk(batch, b) && unpadRow(batch, b, 0).join(",") === s.join(",");
          return {
            ok: false,
            message: {
              ja: `系列 ${b} [${s.join(", ")}] (padId ${padId}) の、mask が 1 の位置の ID は [${back.join(", ")}] でした`,
              en: `for sequence ${b}, [${s.join(", ")}] (padId ${padId}), the ids where the mask is 1 are [${back.join(", ")}]`,
            },
            ...(inverted ? { pitfall: "padding-mask-inverted" } : s.includes(padId) ? { pitfall: "mask-from-pad-id" } : {}),
          };
        }
      }
    }
    return { ok: true };
  },
};

const maskSums: InvariantDef = {
  id: "batch-inv-mask-sums",
  name: name("mask の各行の和は系列の長さ", "each row of the mask sums to the sequence's length"),
  async run({ rng, call }) {
    for (let k = 0; k < 6; k++) {
      const padId = randomPadId(rng, 30);
      const sequences = randomBatch(rng, { ...STYLE, vocab: 30 }, padId);
      const batch = await batchOf(call, sequences, padId);
      if (isOutcome(batch)) return batch;
      const [rows, cols] = [batch.mask.$tensor.shape[0] ?? 0, batch.mask.$tensor.shape[1] ?? 0];
      for (let b = 0; b < sequences.length; b++) {
        let sum = 0;
        for (let j = 0; b < rows && j < cols; j++) sum += at2(batch.mask, b, j) !== 0 ? 1 : 0;
        const len = sequences[b]?.length ?? 0;
        if (sum !== len) {
          return {
            ok: false,
            message: {
              ja: `mask の行 ${b} の和は ${len} (系列の長さ) のはずが ${sum} でした`,
              en: `row ${b} of the mask sums to ${sum}, not to the sequence's length ${len}`,
            },
            ...(sum === cols - len
              ? { pitfall: "padding-mask-inverted" }
              : sum < len && sequences[b]?.includes(padId)
                ? { pitfall: "mask-from-pad-id" }
                : {}),
          };
        }
      }
    }
    return { ok: true };
  },
};

const sameRow = (x: WireTensor, y: WireTensor, rowX: number, rowY: number, cols: number): boolean => {
  for (let j = 0; j < cols; j++) if (at2(x, rowX, j) !== at2(y, rowY, j)) return false;
  return true;
};

const permutes: InvariantDef = {
  id: "batch-inv-permutation",
  name: name("系列の順を入れ替えると行も同じように入れ替わる", "reordering the sequences reorders the rows the same way"),
  async run({ rng, call }) {
    const padId = randomPadId(rng, 40);
    const sequences = randomBatch(rng, { ...STYLE, batch: [3, 6], vocab: 40 }, padId);
    const perm = rng.shuffle(sequences.map((_, i) => i));
    const base = await batchOf(call, sequences, padId);
    if (isOutcome(base)) return base;
    const moved = await batchOf(call, perm.map((i) => sequences[i] as number[]), padId);
    if (isOutcome(moved)) return moved;
    const cols = base.ids.$tensor.shape[1] ?? 0;
    if ((moved.ids.$tensor.shape[1] ?? 0) !== cols) {
      return { ok: false, message: { ja: "系列の順を変えただけで T が変わりました", en: "T changed when only the order of the sequences changed" } };
    }
    for (let r = 0; r < perm.length; r++) {
      const from = perm[r] as number;
      if (!rowsOk(base, from) || !rowsOk(moved, r) || !sameRow(moved.ids, base.ids, r, from, cols) || !sameRow(moved.mask, base.mask, r, from, cols)) {
        return {
          ok: false,
          message: {
            ja: `系列を並べ替えたバッチの行 ${r} は、元のバッチの行 ${from} と同じになるはずです`,
            en: `row ${r} of the reordered batch should equal row ${from} of the original batch`,
          },
        };
      }
    }
    return { ok: true };
  },
};

const prefixStable: InvariantDef = {
  id: "batch-inv-longer-sequence",
  name: name("より長い系列を加えても既存の行の先頭は変わらない (右詰めのパディング)", "adding a longer sequence leaves the start of every row unchanged (right padding)"),
  async run({ rng, call }) {
    const padId = randomPadId(rng, 60);
    const sequences = randomBatch(rng, { ...STYLE, batch: [2, 4], length: [1, 6], vocab: 60 }, padId);
    const longer = Array.from({ length: 9 }, () => rng.int(0, 60));
    const base = await batchOf(call, sequences, padId);
    if (isOutcome(base)) return base;
    const grown = await batchOf(call, [...sequences, longer], padId);
    if (isOutcome(grown)) return grown;
    const cols = base.ids.$tensor.shape[1] ?? 0;
    for (let b = 0; b < sequences.length; b++) {
      if (!rowsOk(base, b) || !rowsOk(grown, b)) break;
      for (let j = 0; j < cols; j++) {
        if (at2(base.ids, b, j) !== at2(grown.ids, b, j)) {
          return {
            ok: false,
            message: {
              ja: `長さ 9 の系列を加えると、行 ${b} の位置 ${j} の ID が ${at2(base.ids, b, j)} から ${at2(grown.ids, b, j)} に変わりました。パディングは右 (末尾) に付けてください`,
              en: `adding a sequence of length 9 moved the id at row ${b}, position ${j} from ${at2(base.ids, b, j)} to ${at2(grown.ids, b, j)}; pad on the right (at the end)`,
            },
            pitfall: "batch-left-padded",
          };
        }
      }
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------- cases

const fixed = (id: string, kind: "public" | "pitfall", ja: string, en: string, sequences: number[][], padId: number): CaseDef => ({
  id,
  kind,
  name: name(ja, en),
  make: () => args(sequences, padId),
});

const hidden = (id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef => ({ id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) });

function hiddenStyle(style: Partial<BatchStyle>) {
  return (rng: Rng): WireValue[] => {
    const s = { ...STYLE, ...style };
    const padId = randomPadId(rng, s.vocab);
    return args(randomBatch(rng, s, padId), padId);
  };
}

// "CCO" and "CC(C)O" with the token ids C=12, O=15, (=3, )=4.
const SMILES_IDS = [[12, 12, 15], [12, 12, 3, 12, 4, 15]];

const cases: CaseDef[] = [
  fixed("batch-basic", "public", "基本: 長さ 3, 2, 1、padId 0", "basic: lengths 3, 2, 1, padId 0", [[5, 6, 7], [8, 9], [10]], 0),
  fixed("batch-pad-id", "public", "padId が 0 でない (padId 1)", "a padId that is not 0 (padId 1)", [[3, 4, 5, 6, 7], [9, 2], [6, 5, 3, 8]], 1),
  fixed("batch-smiles", "public", "SMILES のトークン ID (CCO と CC(C)O)", "SMILES token ids (CCO and CC(C)O)", SMILES_IDS, 0),
  fixed("batch-single", "public", "B=1 (パディングなし)", "B=1 (no padding)", [[7, 7, 7]], 0),
  fixed("batch-empty-sequence", "public", "空の系列を含む", "an empty sequence", [[4, 2], [], [9]], 0),
  fixed("batch-all-empty", "public", "すべて空 (T=0)", "all sequences empty (T=0)", [[], []], 3),
  fixed("batch-equal-lengths", "public", "長さがすべて同じ", "all the same length", [[1, 2], [3, 4], [5, 6]], 0),
  fixed("batch-pitfall-side", "pitfall", "右詰め: パディングは末尾", "right padding: the padding goes at the end", [[1, 2, 3, 4], [5, 6]], 0),
  fixed("batch-pitfall-pad-value", "pitfall", "パディングには padId (99) を使う", "padding uses padId (99)", [[10, 11, 12], [13]], 99),
  fixed("batch-pitfall-mask", "pitfall", "mask は実トークンが 1、パディングが 0", "the mask is 1 on real tokens, 0 on padding", [[21, 22, 23], [24]], 2),
  fixed("batch-pitfall-token-equals-pad", "pitfall", "padId と同じ値の実トークン (mask は長さから作る)", "real tokens equal to padId (build the mask from the lengths)", [[0, 5, 0], [7]], 0),
  fixed("batch-pitfall-length", "pitfall", "T は最長の系列の長さ (5) ちょうど", "T is exactly the longest length (5)", [[1, 1, 2, 3, 5], [8, 13]], 0),
  hidden("batch-hidden-random-1", "ランダムなバッチ 1", "random batch 1", hiddenStyle({})),
  hidden("batch-hidden-random-2", "ランダムなバッチ 2", "random batch 2", hiddenStyle({ batch: [3, 8], length: [1, 12] })),
  hidden("batch-hidden-batch1", "B=1", "B=1", hiddenStyle({ batch: [1, 1], length: [1, 10] })),
  hidden("batch-hidden-t1", "長さ 1 以下の系列だけ", "sequences of length at most 1", hiddenStyle({ batch: [2, 6], length: [0, 1] })),
  hidden("batch-hidden-empties", "空の系列が多い", "many empty sequences", hiddenStyle({ batch: [3, 7], length: [0, 2] })),
  hidden("batch-hidden-long", "長い系列 (T ≤ 64)", "long sequences (T <= 64)", hiddenStyle({ batch: [2, 4], length: [30, 64], vocab: 1000 })),
  hidden("batch-hidden-large-ids", "大きなトークン ID (語彙 50000)", "large token ids (vocabulary 50000)", hiddenStyle({ vocab: 50000 })),
  hidden("batch-hidden-collisions", "padId と同じ値の実トークン", "real tokens equal to padId", hiddenStyle({ padCollision: 0.3, length: [1, 8] })),
  hidden("batch-hidden-many", "B=16", "B=16", hiddenStyle({ batch: [16, 16], length: [0, 20] })),
  hidden("batch-hidden-equal", "長さがすべて同じ", "all the same length", (rng) => {
    const len = rng.int(1, 8);
    const padId = randomPadId(rng, 30);
    return args(Array.from({ length: rng.int(2, 5) }, () => Array.from({ length: len }, () => rng.int(0, 30))), padId);
  }),
  hidden("batch-hidden-one-long", "1 本だけ長い系列", "one sequence much longer than the rest", (rng) => {
    const padId = randomPadId(rng, 100);
    const short = randomBatch(rng, { ...STYLE, length: [0, 3], vocab: 100 }, padId);
    return args([...short, Array.from({ length: rng.int(15, 40) }, () => rng.int(0, 100))], padId);
  }),
];

export default defineExercise({
  cases,
  compare: compareBatch,
  invariants: [unpads, maskSums, permutes, prefixStable],
});
