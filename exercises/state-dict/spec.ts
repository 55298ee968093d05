import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { CallFailure, type CaseDef, type CompareVerdict, type InvariantDef, type Rng, copyTensor, defineExercise, randn } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

/** The driver's marks (see runCheckpoint in the starter): after the save, and after the load. */
const AFTER_SAVE = 1_000_000;
const AFTER_LOAD = -1_000_000;

type Tensors = Record<string, WireTensor>;
type Edits = Record<string, WireTensor | null>;

// ---------------------------------------------------------------- models

type Layout = [string, number[]][];

const LINEAR: Layout = [["weight", [3, 4]], ["bias", [3]]];

function attentionLayout(d: number): Layout {
  return ["W_q", "W_k", "W_v", "W_o"].flatMap((p): Layout => [[`${p}.weight`, [d, d]], [`${p}.bias`, [d]]]);
}

const ENCODER: Layout = [
  ["embedding.weight", [10, 4]],
  ["layers.0.attn.W_q.weight", [4, 4]],
  ["layers.0.attn.W_q.bias", [4]],
  ["layers.0.ffn.0.weight", [8, 4]],
  ["layers.0.ffn.0.bias", [8]],
  ["norm.weight", [4]],
  ["norm.bias", [4]],
  ["temperature", []],
];

const NAMES = ["encoder", "decoder", "layers.0", "layers.1", "blocks.2", "head", "norm", "attn", "ffn.0", "proj", "embed"];
const LEAVES = ["weight", "bias", "scale", "gamma", "beta", "running_mean", "alpha"];

function randomLayout(rng: Rng, count: [number, number], maxRank = 3): Layout {
  const n = rng.int(count[0], count[1] + 1);
  const used = new Set<string>();
  const out: Layout = [];
  while (out.length < n) {
    const key = `${rng.pick(NAMES)}.${rng.pick(LEAVES)}`;
    if (used.has(key)) continue;
    used.add(key);
    out.push([key, Array.from({ length: rng.int(0, maxRank + 1) }, () => rng.int(1, 6))]);
  }
  return out;
}

function tensors(rng: Rng, layout: Layout): Tensors {
  const out: Tensors = {};
  for (const [k, shape] of layout) out[k] = randn(rng, shape);
  return out;
}

/** [model, target, edits, strict]: a trained model and a fresh one with the same layout. */
function scenario(rng: Rng, layout: Layout, edits: (model: Tensors) => Edits, strict: boolean, targetLayout: Layout = layout): WireValue[] {
  const model = tensors(rng, layout);
  return [model, tensors(rng, targetLayout), edits(model), strict];
}

const noEdits = (): Edits => ({});

function shapeOf(layout: Layout, key: string): number[] {
  return layout.find(([k]) => k === key)?.[1] ?? [];
}

/** A shape with the same number of elements as `shape` that is not `shape` (the axes reversed, or split). */
function otherShape(shape: number[]): number[] {
  const reversed = [...shape].reverse();
  if (reversed.some((d, i) => d !== shape[i])) return reversed;
  const n = shape.reduce((a, b) => a * b, 1);
  return shape.length === 1 ? [1, n] : [n];
}

/** A shape that broadcasts to `shape` without being it: the first axis of size > 1 shrunk to 1. */
function broadcastableShape(shape: number[]): number[] | null {
  const i = shape.findIndex((d) => d > 1);
  if (i < 0) return null;
  return shape.map((d, j) => (j === i ? 1 : d));
}

// ---------------------------------------------------------------- reading results

interface Result {
  params: Tensors;
  savedKeys: string[];
  missingKeys: string[];
  unexpectedKeys: string[];
}

function stringList(v: WireValue | undefined): string[] | null {
  return Array.isArray(v) && v.every((s): s is string => typeof s === "string") ? v : null;
}

function asResult(v: WireValue | undefined): Result | Localized {
  const form: Localized = {
    ja: "runCheckpoint は { params, savedKeys, missingKeys, unexpectedKeys } を返します (スターターの runCheckpoint を変えないでください)。loadStateDict は { missingKeys: string[], unexpectedKeys: string[] } を返してください",
    en: "runCheckpoint returns { params, savedKeys, missingKeys, unexpectedKeys } (keep the starter's runCheckpoint unchanged); loadStateDict must return { missingKeys: string[], unexpectedKeys: string[] }",
  };
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v) || isWireTensor(v)) return form;
  const r = v as Record<string, WireValue>;
  const params = r.params;
  const savedKeys = stringList(r.savedKeys);
  const missingKeys = stringList(r.missingKeys);
  const unexpectedKeys = stringList(r.unexpectedKeys);
  if (params === null || params === undefined || typeof params !== "object" || Array.isArray(params) || isWireTensor(params)) return form;
  if (savedKeys === null || missingKeys === null || unexpectedKeys === null) return form;
  const p: Tensors = {};
  for (const [k, t] of Object.entries(params)) {
    if (!isWireTensor(t)) return { ja: `target["${k}"] が Tensor ではなくなっています`, en: `target["${k}"] is no longer a Tensor` };
    p[k] = t;
  }
  return { params: p, savedKeys, missingKeys, unexpectedKeys };
}

const isResult = (v: Result | Localized): v is Result => "params" in v;

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const sameValues = (a: WireTensor, b: WireTensor): boolean =>
  sameShape(a.$tensor.shape, b.$tensor.shape) && a.$tensor.data.every((v, i) => v === b.$tensor.data[i]);
const allEqual = (t: WireTensor, v: number): boolean => t.$tensor.data.length > 0 && t.$tensor.data.every((x) => x === v);
const sorted = (xs: readonly string[]): string[] => [...xs].sort();
const sameSet = (a: readonly string[], b: readonly string[]): boolean => sorted(a).join("\u0000") === sorted(b).join("\u0000");
const keyList = (xs: readonly string[]): string => (xs.length === 0 ? "[]" : `[${xs.map((x) => `"${x}"`).join(", ")}]`);

/** Compares one parameter; names the mistake its values point to. `before`: the target before the load. */
function compareParam(key: string, expected: Result, actual: Result, before: Tensors): CompareVerdict {
  const e = expected.params[key] as WireTensor;
  const a = actual.params[key];
  if (a === undefined) {
    return {
      ok: false,
      message: { ja: `target から "${key}" が消えています。読み込みはキーを削除しません`, en: `"${key}" disappeared from the target; loading never removes keys` },
    };
  }
  if (!sameShape(a.$tensor.shape, e.$tensor.shape)) {
    return {
      ok: false,
      message: {
        ja: `"${key}" の形状は ${shapeText(e.$tensor.shape)} のはずが ${shapeText(a.$tensor.shape)} でした`,
        en: `"${key}" should have shape ${shapeText(e.$tensor.shape)} but has ${shapeText(a.$tensor.shape)}`,
      },
    };
  }
  if (sameValues(a, e)) return { ok: true };
  if (allEqual(a, AFTER_SAVE)) {
    return {
      ok: false,
      message: {
        ja: `"${key}" に読み込まれた値がすべて ${AFTER_SAVE} です。これは保存の「あと」にモデルへ書き込まれた値です: stateDict がモデルのテンソルそのものを返しているので、チェックポイントも一緒に変わりました`,
        en: `"${key}" was loaded as ${AFTER_SAVE} everywhere, the value written into the model AFTER the save: stateDict returned the model's own tensors, so the checkpoint changed with the model`,
      },
      pitfall: "state-dict-save-aliasing",
    };
  }
  if (allEqual(a, AFTER_LOAD)) {
    return {
      ok: false,
      message: {
        ja: `"${key}" がすべて ${AFTER_LOAD} です。これは読み込みの「あと」にチェックポイントへ書き込まれた値です: target がチェックポイントのテンソルを共有しています`,
        en: `"${key}" holds ${AFTER_LOAD} everywhere, the value written into the checkpoint AFTER the load: the target shares its tensors with the checkpoint`,
      },
      pitfall: "state-dict-load-aliasing",
    };
  }
  const from = Object.keys(expected.params).find((k) => k !== key && sameValues(a, expected.params[k] as WireTensor));
  const old = before[key];
  if (from === undefined && old !== undefined && sameValues(a, old)) {
    return {
      ok: false,
      message: {
        ja: `"${key}" は読み込み前の値のままです: チェックポイントの "${key}" がコピーされていません`,
        en: `"${key}" still holds its value from before the load: the checkpoint's "${key}" was not copied into it`,
      },
    };
  }
  return {
    ok: false,
    message: {
      ja: `"${key}" の値が違います${from !== undefined ? `: "${from}" に入るべき値が入っています` : ""}`,
      en: `"${key}" has the wrong values${from !== undefined ? `: it holds the values that belong to "${from}"` : ""}`,
    },
    ...(from !== undefined ? { pitfall: "state-dict-key-order" } : {}),
  };
}

function compareCheckpoint(expectedValue: WireValue, actualValue: WireValue, args: readonly WireValue[]): CompareVerdict {
  const expected = asResult(expectedValue);
  if (!isResult(expected)) throw new Error("reference: unreadable expected result");
  const actual = asResult(actualValue);
  if (!isResult(actual)) return { ok: false, message: actual };

  if (!sameSet(actual.savedKeys, expected.savedKeys)) {
    return {
      ok: false,
      message: {
        ja: `stateDict のキーは ${keyList(expected.savedKeys)} のはずが ${keyList(actual.savedKeys)} でした。すべてのパラメータを同じ名前で保存してください`,
        en: `stateDict should have the keys ${keyList(expected.savedKeys)} but has ${keyList(actual.savedKeys)}: save every parameter under its own name`,
      },
    };
  }
  const extra = Object.keys(actual.params).filter((k) => !(k in expected.params));
  if (extra.length > 0) {
    return {
      ok: false,
      message: {
        ja: `target に余分なキー ${keyList(extra)} が加わりました。予期しないキーは読み込まずに unexpectedKeys で報告します`,
        en: `the target gained the keys ${keyList(extra)}; unexpected keys are reported in unexpectedKeys, never loaded`,
      },
    };
  }
  const before = args[1] as Tensors;
  for (const key of Object.keys(expected.params)) {
    const c = compareParam(key, expected, actual, before);
    if (!c.ok) return c;
  }
  for (const [label, e, a] of [
    ["missingKeys", expected.missingKeys, actual.missingKeys],
    ["unexpectedKeys", expected.unexpectedKeys, actual.unexpectedKeys],
  ] as const) {
    if (!sameSet(a, e)) {
      const ignored = label === "missingKeys" && e.length > 0 && a.length === 0;
      return {
        ok: false,
        message: {
          ja: `${label} は ${keyList(e)} のはずが ${keyList(a)} でした (順序は問いません)`,
          en: `${label} should be ${keyList(e)} but is ${keyList(a)} (in any order)`,
        },
        ...(ignored ? { pitfall: "state-dict-missing-keys-ignored" } : {}),
      };
    }
  }
  return { ok: true };
}

// ---------------------------------------------------------------- invariants

type Call = (args: WireValue[]) => Promise<WireValue>;

/** Runs a load that must throw: the error's message, or the result it returned instead. */
async function mustThrow(call: Call, args: WireValue[]): Promise<{ thrown: string } | { returned: WireValue }> {
  try {
    return { returned: await call(args) };
  } catch (e) {
    if (e instanceof CallFailure && e.status === "error" && e.thrown !== null) return { thrown: e.thrown.message };
    throw e;
  }
}

const roundTrip: InvariantDef = {
  id: "sd-inv-roundtrip",
  name: name("保存して読み込むと値がビット単位で同じ (ランダムなモデル 4 個)", "save then load gives bit-identical values (4 random models)"),
  async run({ rng, call }) {
    for (let n = 0; n < 4; n++) {
      const layout = randomLayout(rng, [1, 6], 4);
      const args = scenario(rng, layout, noEdits, true);
      const [model, target] = args as [Tensors, Tensors];
      const got = asResult(await call(args));
      if (!isResult(got)) return { ok: false, message: got };
      for (const [key, t] of Object.entries(model)) {
        const back = got.params[key];
        if (back === undefined || !sameValues(back, t)) {
          const expected: Result = { params: model, savedKeys: Object.keys(model), missingKeys: [], unexpectedKeys: [] };
          const c = compareParam(key, expected, got, target);
          return {
            ok: false,
            message: {
              ja: `保存して読み込んだ "${key}" が元の値と一致しません。${c.ok ? "" : c.message.ja}`,
              en: `"${key}" does not come back identical after save and load; ${c.ok ? "" : c.message.en}`,
            },
            ...(!c.ok && c.pitfall !== undefined ? { pitfall: c.pitfall } : {}),
          };
        }
      }
    }
    return { ok: true };
  },
};

const shapeChecked: InvariantDef = {
  id: "sd-inv-shape-checked",
  name: name("形状の違うテンソルは (ブロードキャストできても) strict=false でも拒否する", "a tensor of another shape is rejected, even one that broadcasts, even with strict=false"),
  async run({ rng, call }) {
    const layout: Layout = [["out_proj.weight", [rng.int(2, 6), rng.int(2, 6)]], ["out_proj.bias", [rng.int(2, 6)]], ...randomLayout(rng, [0, 2])];
    const key = rng.pick(["out_proj.weight", "out_proj.bias"]);
    const small = broadcastableShape(shapeOf(layout, key)) as number[];
    const args = scenario(rng, layout, () => ({ [key]: randn(rng, small) }), false);
    const outcome = await mustThrow(call, args);
    const wanted = `size mismatch for ${key}`;
    if ("returned" in outcome) {
      return {
        ok: false,
        message: {
          ja: `形状 ${shapeText(small)} のテンソルを形状 ${shapeText(shapeOf(layout, key))} の "${key}" に読み込めてしまいました (copy_ のブロードキャスト)。"${wanted}" のエラーを投げてください`,
          en: `a tensor of shape ${shapeText(small)} was loaded into "${key}" of shape ${shapeText(shapeOf(layout, key))} (copy_ broadcasts); throw "${wanted}"`,
        },
        pitfall: "state-dict-shape-unchecked",
      };
    }
    if (!new RegExp(`size mismatch for ["']?${key.replace(/\./g, "\\.")}`, "i").test(outcome.thrown)) {
      return {
        ok: false,
        message: {
          ja: `エラーは投げましたが、メッセージに "${wanted}" がありません: ${outcome.thrown}`,
          en: `it threw, but the message does not say "${wanted}": ${outcome.thrown}`,
        },
        pitfall: "state-dict-shape-unchecked",
      };
    }
    return { ok: true };
  },
};

const strictMissing: InvariantDef = {
  id: "sd-inv-strict-missing",
  name: name("strict=true で足りないキーがあれば必ずエラー", "strict=true always rejects a checkpoint with a missing key"),
  async run({ rng, call }) {
    const layout = randomLayout(rng, [2, 5]);
    const key = rng.pick(layout)[0];
    const args = scenario(rng, layout, () => ({ [key]: null }), true);
    const outcome = await mustThrow(call, args);
    if ("returned" in outcome) {
      return {
        ok: false,
        message: {
          ja: `strict=true なのに、"${key}" のないチェックポイントを黙って読み込みました`,
          en: `with strict=true, a checkpoint without "${key}" was loaded without a word`,
        },
        pitfall: "state-dict-missing-keys-ignored",
      };
    }
    const ok = /missing key\(s\) in state_dict/i.test(outcome.thrown) && outcome.thrown.includes(key);
    return ok
      ? { ok: true }
      : {
          ok: false,
          message: {
            ja: `エラーのメッセージには "Missing key(s) in state_dict" とキー "${key}" が必要です: ${outcome.thrown}`,
            en: `the error message needs "Missing key(s) in state_dict" and the key "${key}": ${outcome.thrown}`,
          },
        };
  },
};

const keyOrder: InvariantDef = {
  id: "sd-inv-key-order",
  name: name("キーの並び順が違っても名前で読み込む", "loading goes by name whatever the order of the keys"),
  async run({ rng, call }) {
    const d = rng.int(2, 5);
    const layout = attentionLayout(d);
    const shuffled = rng.shuffle(layout);
    const model = tensors(rng, layout);
    const target = tensors(rng, shuffled);
    const got = asResult(await call([model, target, {}, true]));
    if (!isResult(got)) return { ok: false, message: got };
    const expected: Result = { params: model, savedKeys: Object.keys(model), missingKeys: [], unexpectedKeys: [] };
    for (const key of Object.keys(model)) {
      const c = compareParam(key, expected, got, target);
      if (!c.ok) {
        return {
          ok: false,
          message: {
            ja: `モデルと target でキーの順序だけが違う読み込みです。${c.message.ja}`,
            en: `a load where only the order of the keys differs between model and target: ${c.message.en}`,
          },
          ...(c.pitfall !== undefined ? { pitfall: c.pitfall } : {}),
        };
      }
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------- cases

const fixed = (id: string, kind: "public" | "pitfall", ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef => ({
  id,
  kind,
  name: name(ja, en),
  make: ({ rng }) => make(rng),
});

const hidden = (id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef => ({ id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) });

const drop = (...keys: string[]) => (): Edits => Object.fromEntries(keys.map((k) => [k, null]));

/**
 * Every key renamed with a prefix, as a checkpoint saved from a DataParallel-wrapped model. The
 * tensors are copies: one typed array in two arguments would arrive in the sandbox shared.
 */
const prefixed = (prefix: string) => (model: Tensors): Edits => {
  const edits: Edits = {};
  for (const [k, t] of Object.entries(model)) {
    edits[k] = null;
    edits[`${prefix}${k}`] = copyTensor(t);
  }
  return edits;
};

function randomDrop(rng: Rng, layout: Layout, count: number): Edits {
  return Object.fromEntries(rng.shuffle(layout).slice(0, count).map(([k]) => [k, null]));
}

const cases: CaseDef[] = [
  fixed("sd-roundtrip-linear", "public", "Linear 層 (weight, bias) を保存して読み込む", "save and load a Linear layer (weight, bias)", (rng) => scenario(rng, LINEAR, noEdits, true)),
  fixed("sd-roundtrip-attention", "public", "Multi-Head Attention の W_q, W_k, W_v, W_o", "multi-head attention's W_q, W_k, W_v, W_o", (rng) => scenario(rng, attentionLayout(4), noEdits, true)),
  fixed("sd-scalar-parameter", "public", "0 次元のパラメータ (temperature) を含むエンコーダ", "an encoder with a 0-D parameter (temperature)", (rng) => scenario(rng, ENCODER, noEdits, true)),
  fixed("sd-nonstrict-missing", "public", "strict=false: 足りないキーは missingKeys に", "strict=false: a missing key goes to missingKeys", (rng) => scenario(rng, ENCODER, drop("norm.bias"), false)),
  fixed("sd-nonstrict-unexpected", "public", "strict=false: 余分なキーは unexpectedKeys に", "strict=false: an extra key goes to unexpectedKeys", (rng) =>
    scenario(rng, ENCODER, () => ({ "head.weight": randn(rng, [2, 4]) }), false)),
  fixed("sd-replaced-entry", "public", "チェックポイントの値を差し替えてから読み込む", "an entry of the checkpoint replaced before loading", (rng) =>
    scenario(rng, LINEAR, () => ({ bias: randn(rng, [3]) }), true)),
  fixed("sd-strict-missing", "public", "strict=true: 足りないキーはエラー", "strict=true: a missing key is an error", (rng) => scenario(rng, ENCODER, drop("layers.0.ffn.0.bias"), true)),
  fixed("sd-strict-unexpected", "public", "strict=true: 余分なキーはエラー", "strict=true: an extra key is an error", (rng) =>
    scenario(rng, LINEAR, () => ({ "head.bias": randn(rng, [2]) }), true)),
  fixed("sd-size-mismatch", "public", "形状の違うテンソル (3, 4) ← (4, 3) はエラー", "a tensor of another shape, (3, 4) <- (4, 3), is an error", (rng) =>
    scenario(rng, LINEAR, () => ({ weight: randn(rng, [4, 3]) }), true)),
  fixed("sd-size-mismatch-last", "public", "最後のキー (bias) の形状が違う: エラーを投げるなら weight も書き換えない", "the last key (bias) has another shape: a load that throws leaves weight unchanged too", (rng) =>
    scenario(rng, LINEAR, () => ({ bias: randn(rng, [4]) }), false)),
  fixed("sd-strict-missing-last", "public", "strict=true で最後のキーが足りない: エラーを投げるなら他のキーも書き換えない", "strict=true with the last key missing: a load that throws changes no other key either", (rng) =>
    scenario(rng, ENCODER, drop("temperature"), true)),
  fixed("sd-module-prefix", "public", "DataParallel で保存した \"module.\" 付きのキー", "keys saved with a DataParallel \"module.\" prefix", (rng) => scenario(rng, LINEAR, prefixed("module."), true)),
  fixed("sd-pitfall-snapshot", "pitfall", "保存後にモデルが変わってもチェックポイントは変わらない", "the checkpoint does not change when the model changes after the save", (rng) =>
    scenario(rng, attentionLayout(3), noEdits, true)),
  fixed("sd-pitfall-reuse", "pitfall", "読み込み後にチェックポイントを書き換えても target は変わらない", "overwriting the checkpoint after the load leaves the target alone", (rng) =>
    scenario(rng, LINEAR, noEdits, true)),
  fixed("sd-pitfall-key-order", "pitfall", "target のキーの順序がモデルと逆", "the target's keys in the reverse order of the model's", (rng) =>
    scenario(rng, attentionLayout(3).filter(([k]) => k.endsWith("weight")), noEdits, true, attentionLayout(3).filter(([k]) => k.endsWith("weight")).reverse())),
  fixed("sd-pitfall-missing-reported", "pitfall", "strict=false でも足りないキーは報告する", "missing keys are reported even with strict=false", (rng) =>
    scenario(rng, attentionLayout(2), drop("W_o.weight", "W_o.bias"), false)),
  fixed("sd-pitfall-broadcast-shape", "pitfall", "ブロードキャストできる形状 (1, 4) → (3, 4) も strict=false でエラー", "a shape that broadcasts, (1, 4) -> (3, 4), is an error even with strict=false", (rng) =>
    scenario(rng, LINEAR, () => ({ weight: randn(rng, [1, 4]) }), false)),
  hidden("sd-hidden-roundtrip", "ランダムなモデルの保存と読み込み", "save and load of a random model", (rng) => scenario(rng, randomLayout(rng, [1, 6], 4), noEdits, true)),
  hidden("sd-hidden-roundtrip-nonstrict", "strict=false で問題のない読み込み", "a clean load with strict=false", (rng) => scenario(rng, randomLayout(rng, [1, 6]), noEdits, false)),
  hidden("sd-hidden-shuffled", "キーの順序が違う target", "a target whose keys come in another order", (rng) => {
    const layout = randomLayout(rng, [2, 6]);
    return scenario(rng, layout, noEdits, true, rng.shuffle(layout));
  }),
  hidden("sd-hidden-missing", "strict=false、ランダムに欠けたキー", "strict=false, random keys missing", (rng) => {
    const layout = randomLayout(rng, [2, 6]);
    return scenario(rng, layout, () => randomDrop(rng, layout, rng.int(1, layout.length)), false);
  }),
  hidden("sd-hidden-unexpected", "strict=false、余分なキー", "strict=false, extra keys", (rng) =>
    scenario(rng, randomLayout(rng, [1, 4]), () => ({ "extra.head.weight": randn(rng, [2, 3]), "extra.head.bias": randn(rng, [2]) }), false)),
  hidden("sd-hidden-renamed", "strict=false、キーの名前が変わった", "strict=false, keys renamed", (rng) => scenario(rng, randomLayout(rng, [1, 4]), prefixed("backbone."), false)),
  hidden("sd-hidden-strict-missing", "strict=true、欠けたキー", "strict=true, a key missing", (rng) => {
    const layout = randomLayout(rng, [2, 6]);
    return scenario(rng, layout, () => randomDrop(rng, layout, 1), true);
  }),
  hidden("sd-hidden-strict-unexpected", "strict=true、余分なキー", "strict=true, an extra key", (rng) =>
    scenario(rng, randomLayout(rng, [1, 5]), () => ({ "classifier.weight": randn(rng, [3, 2]) }), true)),
  hidden("sd-hidden-strict-renamed", "strict=true、キーの名前が変わった", "strict=true, keys renamed", (rng) => scenario(rng, randomLayout(rng, [1, 3]), prefixed("module."), true)),
  hidden("sd-hidden-size-mismatch", "形状の違うテンソル (要素数は同じ)", "a tensor of another shape (same number of elements)", (rng) => {
    const layout: Layout = [["mix.weight", [rng.int(2, 5), rng.int(6, 9)]], ...randomLayout(rng, [0, 3])];
    return scenario(rng, layout, () => ({ "mix.weight": randn(rng, otherShape(shapeOf(layout, "mix.weight"))) }), rng.random() < 0.5);
  }),
  hidden("sd-hidden-broadcast-mismatch", "ブロードキャストできる形状 (strict=false)", "a shape that broadcasts (strict=false)", (rng) => {
    const layout: Layout = [["scale.weight", [rng.int(2, 5), rng.int(2, 5)]], ...randomLayout(rng, [0, 3])];
    return scenario(rng, layout, () => ({ "scale.weight": randn(rng, broadcastableShape(shapeOf(layout, "scale.weight")) as number[]) }), false);
  }),
  hidden("sd-hidden-replaced", "値を差し替えたチェックポイント", "a checkpoint with replaced entries", (rng) => {
    const layout = randomLayout(rng, [2, 5]);
    const [key, shape] = rng.pick(layout);
    return scenario(rng, layout, () => ({ [key]: randn(rng, shape) }), true);
  }),
  hidden("sd-hidden-large", "大きめのモデル (16 × 16 が 10 個)", "a larger model (ten 16 x 16 tensors)", (rng) =>
    scenario(rng, Array.from({ length: 10 }, (_, i): [string, number[]] => [`layers.${i}.weight`, [16, 16]]), noEdits, true)),
];

export default defineExercise({
  cases,
  // loadStateDict copies into its target by design: the grader's unchanged-inputs check stays out.
  inputsMayChange: true,
  compare: compareCheckpoint,
  invariants: [roundTrip, shapeChecked, strictMissing, keyOrder],
});
