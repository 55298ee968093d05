import type { Localized, WireValue } from "@tfm/contract";
import { CallFailure, type CaseDef, type CompareVerdict, type InvariantDef, type InvariantOutcome, type Rng, defineExercise } from "@tfm/spec";
import { z } from "zod";

const name = (ja: string, en: string): Localized => ({ ja, en });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------- configs

/** The chapter's experiment config, plus the dataset size the split needs. */
function chapterConfig(): Obj {
  return {
    model: { d_model: 512, num_heads: 8, num_layers: 6, d_ff: 2048, dropout: 0.1, max_seq_len: 512 },
    training: { batch_size: 32, learning_rate: 1e-4, num_epochs: 100, warmup_steps: 4000, optimizer: "Adam", weight_decay: 0.01 },
    data: { train_split: 0.8, val_split: 0.1, test_split: 0.1, tokenizer: "BPE", vocab_size: 50000, num_samples: 20 },
    seed: 42,
  };
}

/** Ratios in steps of 0.05 whose products with n are not a hair below an integer (floor stays unambiguous). */
function splits(rng: Rng, n: number): [number, number, number] {
  for (;;) {
    const train = rng.int(10, 19) * 0.05;
    const val = rng.int(0, Math.round((1 - train) / 0.05) + 1) * 0.05;
    const test = Math.round((1 - train - val) * 100) / 100;
    const safe = [train, val].every((s) => {
      const p = n * s;
      return p - Math.floor(p) < 1 - 1e-6;
    });
    if (safe && test >= 0) return [Math.round(train * 100) / 100, Math.round(val * 100) / 100, test];
  }
}

function randomConfig(rng: Rng): Obj {
  const h = rng.pick([1, 2, 4, 8, 12]);
  const n = rng.int(2, 61);
  const [train, val, test] = splits(rng, n);
  return {
    seed: rng.int(0, 2 ** 31),
    data: { num_samples: n, train_split: train, val_split: val, test_split: test, tokenizer: rng.pick(["BPE", "SMILES-regex", "char"]) },
    model: { num_heads: h, d_model: h * rng.pick([8, 16, 24, 64]), num_layers: rng.int(1, 13), d_ff: rng.pick([64, 256, 1024, 2048]), dropout: rng.pick([0, 0.05, 0.1, 0.25, 0.5]) },
    training: { learning_rate: rng.pick([1e-3, 3e-4, 1e-4, 5e-5]), batch_size: rng.pick([1, 8, 16, 32, 64]), optimizer: "AdamW" },
  };
}

function env(cudaAvailable: boolean, versions: Record<string, string> = { kit: "0.1.0", node: "20.19.0", typescript: "5.9.3" }): WireValue {
  return { cudaAvailable, versions: cudaAvailable ? { ...versions, cuda: "12.1" } : { ...versions } };
}

function randomEnv(rng: Rng): WireValue {
  const versions: Record<string, string> = { kit: `0.${rng.int(1, 9)}.${rng.int(0, 20)}`, node: `20.${rng.int(0, 20)}.${rng.int(0, 9)}` };
  if (rng.random() < 0.5) versions.tokenizers = `0.${rng.int(10, 20)}.${rng.int(0, 5)}`;
  return env(rng.random() < 0.5, versions);
}

const args = (config: Obj, e: WireValue = env(false)): WireValue[] => [JSON.stringify(config), e];

function withChange(base: Obj, edit: (c: Obj) => void): Obj {
  const copy = JSON.parse(JSON.stringify(base)) as Obj;
  edit(copy);
  return copy;
}
const model = (c: Obj): Obj => c.model as Obj;
const training = (c: Obj): Obj => c.training as Obj;
const data = (c: Obj): Obj => c.data as Obj;

/** One broken rule per config; the tag is what the error message must mention. */
const INVALID_MODEL: [string, (c: Obj) => void][] = [
  ["num_heads", (c) => { model(c).num_heads = (model(c).d_model as number) + 1; }],
  ["d_model", (c) => { delete model(c).d_model; }],
  ["d_model", (c) => { model(c).d_model = "512"; }],
  ["num_layers", (c) => { model(c).num_layers = 0; }],
  ["num_layers", (c) => { model(c).num_layers = 2.5; }],
  ["d_ff", (c) => { delete model(c).d_ff; }],
  ["d_model", (c) => { model(c).d_model = 0; }],
  ["d_ff", (c) => { model(c).d_ff = 0; }],
  ["dropout", (c) => { model(c).dropout = 1; }],
  ["dropout", (c) => { model(c).dropout = -0.1; }],
];
const INVALID_TRAINING: [string, (c: Obj) => void][] = [
  ["batch_size", (c) => { training(c).batch_size = 0; }],
  ["batch_size", (c) => { training(c).batch_size = 16.5; }],
  ["learning_rate", (c) => { training(c).learning_rate = 0; }],
  ["learning_rate", (c) => { training(c).learning_rate = -1e-4; }],
];
const INVALID_OTHER: [string, (c: Obj) => void][] = [
  ["seed", (c) => { c.seed = -1; }],
  ["seed", (c) => { c.seed = 1.5; }],
  ["seed", (c) => { c.seed = "42"; }],
  ["seed", (c) => { delete c.seed; }],
  ["seed", (c) => { c.seed = 4294967296; }],
  ["num_samples", (c) => { data(c).num_samples = 0; }],
  ["num_samples", (c) => { delete data(c).num_samples; }],
  ["model", (c) => { delete c.model; }],
  ["training", (c) => { c.training = [32, 1e-4]; }],
];
const INVALID_SPLITS: [string, (c: Obj) => void][] = [
  ["split", (c) => Object.assign(data(c), { train_split: 0.8, val_split: 0.2, test_split: 0.1 })],
  ["split", (c) => Object.assign(data(c), { train_split: 0.7, val_split: 0.1, test_split: 0.1 })],
  ["split", (c) => Object.assign(data(c), { train_split: 1.1, val_split: -0.2, test_split: 0.1 })],
  ["split", (c) => { delete data(c).test_split; }],
  // Sums to 1 within 1e-9, but one ratio lies outside [0, 1].
  ["split", (c) => Object.assign(data(c), { train_split: 1.0000000005, val_split: 0, test_split: 0 })],
];
const NOT_JSON = ["{model: {d_model: 512}}", "", '{"seed": 42,}', "[1, 2, 3]", "null", '"config"'];

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

function invalid(rng: Rng, list: [string, (c: Obj) => void][]): WireValue[] {
  const [, edit] = rng.pick(list);
  return args(withChange(randomConfig(rng), edit), randomEnv(rng));
}

const cases: CaseDef[] = [
  { id: "seed-cuda-available", kind: "public", name: name("CUDA が使える環境 (seed 7)", "CUDA available (seed 7)"), make: () => args(withChange(chapterConfig(), (c) => { c.seed = 7; }), env(true)) },
  {
    id: "seed-uneven-splits",
    kind: "public",
    name: name("比率 0.7 / 0.15 / 0.15、33 サンプル", "ratios 0.7 / 0.15 / 0.15, 33 samples"),
    make: () => args(withChange(chapterConfig(), (c) => { Object.assign(data(c), { train_split: 0.7, val_split: 0.15, test_split: 0.15, num_samples: 33 }); c.seed = 2024; })),
  },
  { id: "seed-one-sample", kind: "public", name: name("サンプル 1 個 (train と val は空)", "a single sample (train and val empty)"), make: () => args(withChange(chapterConfig(), (c) => { data(c).num_samples = 1; c.seed = 3; })) },
  { id: "seed-reject-num-heads", kind: "public", name: name("不正: num_heads = 7 は d_model = 512 を割り切らない", "invalid: num_heads = 7 does not divide d_model = 512"), make: () => args(withChange(chapterConfig(), (c) => { model(c).num_heads = 7; })) },
  { id: "seed-reject-split-sum", kind: "public", name: name("不正: 比率の和が 1.1", "invalid: the ratios add up to 1.1"), make: () => args(withChange(chapterConfig(), (c) => { data(c).test_split = 0.2; })) },
  { id: "seed-reject-dropout", kind: "public", name: name("不正: dropout = 1.0", "invalid: dropout = 1.0"), make: () => args(withChange(chapterConfig(), (c) => { model(c).dropout = 1.0; })) },
  { id: "seed-not-42", kind: "pitfall", name: name("seed 1234: 設定の seed で乱数が決まる", "seed 1234: the config's seed decides the draw"), make: () => args(withChange(chapterConfig(), (c) => { c.seed = 1234; })) },
  {
    id: "seed-versions-and-cpu",
    kind: "pitfall",
    name: name("CUDA なし、4 つのバージョンをすべて記録", "no CUDA, all four versions recorded"),
    make: () => args(withChange(chapterConfig(), (c) => { c.seed = 99; }), env(false, { kit: "0.1.0", node: "20.19.0", typescript: "5.9.3", tokenizers: "0.13.3" })),
  },
  {
    id: "seed-smallest-valid",
    kind: "public",
    name: name("境界の値: d_model = num_heads = num_layers = d_ff = batch_size = 1、dropout = 0、train_split = 1", "boundary values: d_model = num_heads = num_layers = d_ff = batch_size = 1, dropout = 0, train_split = 1"),
    make: () =>
      args(
        withChange(chapterConfig(), (c) => {
          Object.assign(model(c), { d_model: 1, num_heads: 1, num_layers: 1, d_ff: 1, dropout: 0 });
          Object.assign(training(c), { batch_size: 1, learning_rate: 1e-6 });
          Object.assign(data(c), { num_samples: 5, train_split: 1, val_split: 0, test_split: 0 });
          c.seed = 5;
        }),
      ),
  },
  {
    id: "seed-sum-within-tolerance",
    kind: "public",
    name: name("比率の和が 1 から 5e-10 ずれている (1e-9 以内なので正しい)", "ratios whose sum is 5e-10 away from 1 (within 1e-9, so valid)"),
    make: () => args(withChange(chapterConfig(), (c) => { Object.assign(data(c), { num_samples: 10, train_split: 0.6, val_split: 0.2, test_split: 0.2000000005 }); c.seed = 8; })),
  },
  {
    id: "seed-nested-arrays",
    kind: "public",
    name: name("配列の中のオブジェクトもキーを並べ替える (配列の順序は保つ)", "objects inside arrays get sorted keys too (arrays keep their order)"),
    make: () =>
      args(withChange(chapterConfig(), (c) => {
        training(c).schedule = [{ step: 0, lr: 1e-4 }, { step: 4000, lr: 3e-4, note: { z: 1, a: [2, { y: 0, b: 1 }] } }];
        c.seed = 12;
      })),
  },
  { id: "seed-zero", kind: "public", name: name("seed = 0 (範囲の下限、正しい)", "seed = 0 (the lowest valid seed)"), make: () => args(withChange(chapterConfig(), (c) => { c.seed = 0; })) },
  { id: "seed-max", kind: "public", name: name("seed = 2^32 − 1 (範囲の上限、正しい)", "seed = 2^32 - 1 (the highest valid seed)"), make: () => args(withChange(chapterConfig(), (c) => { c.seed = 4294967295; })) },
  { id: "seed-reject-not-json", kind: "public", name: name("不正: JSON でないテキスト", "invalid: text that is not JSON"), make: () => ["{model: {d_model: 512}}", env(false)] },
  { id: "seed-reject-not-object", kind: "public", name: name("不正: JSON だがオブジェクトでない (配列)", "invalid: JSON but not an object (an array)"), make: () => ["[1, 2, 3]", env(false)] },
  hidden("seed-hidden-random-1", "ランダムな設定 1", "random config 1", (rng) => args(randomConfig(rng), randomEnv(rng))),
  hidden("seed-hidden-random-2", "ランダムな設定 2", "random config 2", (rng) => args(randomConfig(rng), randomEnv(rng))),
  hidden("seed-hidden-random-3", "ランダムな設定 3", "random config 3", (rng) => args(randomConfig(rng), randomEnv(rng))),
  hidden("seed-hidden-seed-zero", "seed = 0", "seed = 0", (rng) => args(withChange(randomConfig(rng), (c) => { c.seed = 0; }), randomEnv(rng))),
  hidden("seed-hidden-max-seed", "seed = 2^32 − 1", "seed = 2^32 - 1", (rng) => args(withChange(randomConfig(rng), (c) => { c.seed = 4294967295; }), randomEnv(rng))),
  hidden("seed-hidden-no-val", "val_split = 0", "val_split = 0", (rng) => args(withChange(randomConfig(rng), (c) => { Object.assign(data(c), { train_split: 0.75, val_split: 0, test_split: 0.25 }); }), randomEnv(rng))),
  hidden("seed-hidden-extra-keys", "入れ子の追加項目 (そのまま記録)", "extra nested keys (recorded as given)", (rng) =>
    args(withChange(randomConfig(rng), (c) => { c.notes = { author: "研究室 A", tags: ["LLZO", "Li7La3Zr2O12"], revision: rng.int(1, 9) }; model(c).activation = "gelu"; }), randomEnv(rng))),
  hidden("seed-hidden-invalid-model", "不正なモデル設定", "an invalid model setting", (rng) => invalid(rng, INVALID_MODEL)),
  hidden("seed-hidden-invalid-training", "不正な学習設定", "an invalid training setting", (rng) => invalid(rng, INVALID_TRAINING)),
  hidden("seed-hidden-invalid-split", "不正な分割比率", "invalid split ratios", (rng) => invalid(rng, INVALID_SPLITS)),
  hidden("seed-hidden-invalid-other", "不正な seed、サンプル数、セクション", "an invalid seed, sample count or section", (rng) => invalid(rng, INVALID_OTHER)),
  hidden("seed-hidden-not-json", "JSON オブジェクトでないテキスト", "text that is not a JSON object", (rng) => [rng.pick(NOT_JSON), randomEnv(rng)]),
  // Last on purpose: code that draws before seeding would make the next case draw from a generator
  // freshly seeded with 42, indistinguishable from a hard-coded seed 42. After this case only the
  // invariants run, and they never use seed 42.
  { id: "seed-chapter-config", kind: "public", name: name("章の設定 (seed 42、CPU)", "the chapter's config (seed 42, CPU)"), make: () => args(chapterConfig()) },
];

// ---------------------------------------------------------------- reading a record

const RecordSchema = z
  .object({
    config: z.record(z.string(), z.unknown()),
    device: z.string(),
    split: z.object({ train: z.array(z.number().int().nonnegative()), val: z.array(z.number().int().nonnegative()), test: z.array(z.number().int().nonnegative()) }).strict(),
    versions: z.record(z.string(), z.string()),
  })
  .strict();

function sorted(v: Json): Json {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sorted(v[k] as Json);
  return out;
}

/** Path of the first difference between two JSON values, or null when equal. */
function firstDifference(a: Json, b: Json, path = ""): string | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i] as Json, b[i] as Json, `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!Object.hasOwn(a, k) || !Object.hasOwn(b, k)) return `${path}.${k}`;
      const d = firstDifference(a[k] as Json, b[k] as Json, `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : path || "(root)";
}

type ParsedRecord = z.infer<typeof RecordSchema>;
type Read = { ok: true; text: string; record: ParsedRecord; json: Json } | { ok: false; message: Localized; pitfall?: string };

function readRecord(actual: WireValue): Read {
  if (typeof actual !== "string") {
    return { ok: false, message: { ja: "記録は JSON の文字列 (JSON.stringify の結果) で返してください", en: "return the record as JSON text (the result of JSON.stringify), not an object" } };
  }
  let json: Json;
  try {
    json = JSON.parse(actual) as Json;
  } catch (e) {
    return { ok: false, message: { ja: `返された文字列は JSON として読めません: ${(e as Error).message}`, en: `the returned text is not valid JSON: ${(e as Error).message}` } };
  }
  const parsed = RecordSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ");
    const versionsOnly = parsed.error.issues.every((i) => i.path[0] === "versions");
    return {
      ok: false,
      message: {
        ja: `記録の形が違います (必要なキーは config, device, split {train, val, test}, versions だけ): ${issues}`,
        en: `the record does not have the required form (exactly config, device, split {train, val, test}, versions): ${issues}`,
      },
      ...(versionsOnly ? { pitfall: "version-info-missing" } : {}),
    };
  }
  return { ok: true, text: actual, record: parsed.data, json };
}

function compareRecords(expected: WireValue, actual: WireValue): CompareVerdict {
  if (typeof expected !== "string") throw new Error("seeded-experiment: the reference must return the record text");
  const want = JSON.parse(expected) as { config: Json; device: string; split: Record<"train" | "val" | "test", number[]>; versions: Json };
  const got = readRecord(actual);
  if (!got.ok) return got;
  const rec = got.record;
  const configDiff = firstDifference(want.config, rec.config as Json);
  if (configDiff !== null) {
    return {
      ok: false,
      message: {
        ja: `record.config が入力の設定と違います (最初の違い: config${configDiff})。読み込んだ設定を、すべてのキーと値をそのまま記録してください`,
        en: `record.config differs from the config given (first difference at config${configDiff}); record the parsed config with every key and value unchanged`,
      },
    };
  }
  if (rec.device !== want.device) {
    return {
      ok: false,
      pitfall: "device-hard-coded",
      message: {
        ja: `env.cudaAvailable が ${want.device === "cuda"} なので device は "${want.device}" のはずですが "${rec.device}" でした`,
        en: `env.cudaAvailable is ${want.device === "cuda"}, so the device is "${want.device}", but the record says "${rec.device}"`,
      },
    };
  }
  const versionDiff = firstDifference(want.versions, rec.versions as Json);
  if (versionDiff !== null) {
    return {
      ok: false,
      pitfall: "version-info-missing",
      message: {
        ja: `record.versions が env.versions と違います (最初の違い: versions${versionDiff})。渡されたバージョンをすべてそのまま記録してください`,
        en: `record.versions differs from env.versions (first difference at versions${versionDiff}); record every version given, unchanged`,
      },
    };
  }
  for (const part of ["train", "val", "test"] as const) {
    if (rec.split[part].length !== want.split[part].length) {
      return {
        ok: false,
        message: {
          ja: `split.${part} は ${want.split[part].length} 個のはずですが ${rec.split[part].length} 個でした。train は floor(num_samples × train_split) 個、val は floor(num_samples × val_split) 個、test は残りです`,
          en: `split.${part} should hold ${want.split[part].length} indices but holds ${rec.split[part].length}; train takes floor(num_samples * train_split), val floor(num_samples * val_split), test the rest`,
        },
      };
    }
  }
  const splitDiff = firstDifference(want.split as unknown as Json, rec.split as unknown as Json);
  if (splitDiff !== null) {
    return {
      ok: false,
      message: {
        ja: `分割の中身が違います (最初の違い: split${splitDiff})。torch.manualSeed(config.seed) の直後に、ほかの乱数を引かずに torch.randperm(num_samples) を引き、その順に train、val、test へ分けていますか`,
        en: `the split's indices differ (first difference at split${splitDiff}); seed with torch.manualSeed(config.seed), then draw torch.randperm(num_samples) before anything else, and cut it into train, val and test in that order`,
      },
    };
  }
  const canonical = JSON.stringify(sorted(got.json));
  if (got.text !== canonical) {
    const at = [...got.text].findIndex((ch, i) => ch !== canonical[i]);
    return {
      ok: false,
      pitfall: "record-not-canonical",
      message: {
        ja: `中身は正しいのですが、正準形の JSON ではありません (文字 ${at} から違います)。すべての階層でキーを辞書順に並べ、空白なしの JSON.stringify で出力してください`,
        en: `the content is right but the text is not canonical JSON (it differs from character ${at}); sort the keys at every depth and use JSON.stringify without indentation`,
      },
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------- invariants

async function recordOf(call: (a: WireValue[]) => Promise<WireValue>, a: WireValue[]): Promise<ParsedRecord | InvariantOutcome> {
  const got = readRecord(await call(a));
  return got.ok ? got.record : { ok: false, message: got.message, ...(got.pitfall ? { pitfall: got.pitfall } : {}) };
}

const isOutcome = (v: ParsedRecord | InvariantOutcome): v is InvariantOutcome => "ok" in v;

function validConfig(rng: Rng, seed: number, n = 24): Obj {
  return withChange(randomConfig(rng), (c) => {
    c.seed = seed;
    Object.assign(data(c), { num_samples: n, train_split: 0.5, val_split: 0.25, test_split: 0.25 });
  });
}

/** A seed for the invariants, never the chapter's 42 (which a hard-coded seed would reproduce). */
const freshSeed = (rng: Rng): number => 1000 + rng.int(0, 2 ** 30);

const repeatable: InvariantDef = {
  id: "seed-inv-repeatable",
  // It judges repeatability itself (and names the mistake): the grader's own repeat check stays out.
  randomResults: true,
  name: name("同じ設定は何度実行しても同じ記録 (間に別の実験を挟んでも)", "the same config always gives the same record (even with another run in between)"),
  async run({ rng, call }) {
    const a = args(validConfig(rng, freshSeed(rng)));
    const b = args(validConfig(rng, freshSeed(rng)));
    const runs = [await call(a), await call(a), await call(b), await call(a)];
    const texts = [runs[0], runs[1], runs[3]];
    for (let i = 1; i < texts.length; i++) {
      if (texts[i] !== texts[0]) {
        return {
          ok: false,
          pitfall: "seed-after-draw",
          message: {
            ja: "同じ設定で runExperiment を呼ぶたびに違う記録が返りました (呼び出しの順: A, A, B, A)。シードを設定する前に、またはシードなしで乱数を引いていないか確認してください",
            en: "calling runExperiment with the same config returned different records (calls in the order A, A, B, A); look for a random draw made before the seed is set, or with no seed at all",
          },
        };
      }
    }
    return { ok: true };
  },
};

const seedMatters: InvariantDef = {
  id: "seed-inv-seed-matters",
  name: name("seed だけを変えると分割が変わる", "changing only the seed changes the split"),
  async run({ rng, call }) {
    const base = validConfig(rng, freshSeed(rng));
    const other = withChange(base, (c) => { c.seed = (c.seed as number) + 1 + rng.int(0, 1000); });
    const r1 = await recordOf(call, args(base));
    if (isOutcome(r1)) return r1;
    const r2 = await recordOf(call, args(other));
    if (isOutcome(r2)) return r2;
    // Two seeds giving the same permutation of 24 items has probability 1/24! (about 1.6e-24).
    if (firstDifference(r1.split as unknown as Json, r2.split as unknown as Json) === null) {
      return {
        ok: false,
        pitfall: "seed-hard-coded",
        message: {
          ja: `seed ${base.seed} と ${other.seed} で、24 サンプルの分割がまったく同じでした。設定の seed で生成器を初期化していますか`,
          en: `seeds ${base.seed} and ${other.seed} gave exactly the same split of 24 samples; is the generator seeded with the config's seed?`,
        },
      };
    }
    return { ok: true };
  },
};

const deviceFollows: InvariantDef = {
  id: "seed-inv-device-follows-availability",
  name: name("device は CUDA が使えるかどうかで決まる", "the device follows CUDA availability"),
  async run({ rng, call }) {
    const config = validConfig(rng, freshSeed(rng));
    for (const cuda of [true, false]) {
      const r = await recordOf(call, args(config, env(cuda)));
      if (isOutcome(r)) return r;
      const want = cuda ? "cuda" : "cpu";
      if (r.device !== want) {
        return {
          ok: false,
          pitfall: "device-hard-coded",
          message: {
            ja: `cudaAvailable = ${cuda} のとき device は "${want}" のはずですが "${r.device}" でした`,
            en: `with cudaAvailable = ${cuda} the device should be "${want}" but is "${r.device}"`,
          },
        };
      }
    }
    return { ok: true };
  },
};

const versionsKept: InvariantDef = {
  id: "seed-inv-versions-kept",
  name: name("渡されたバージョン情報をすべてそのまま記録する", "every version given is recorded unchanged"),
  async run({ rng, call }) {
    const versions: Record<string, string> = {
      kit: `0.${rng.int(1, 9)}.${rng.int(0, 9)}`,
      node: `22.${rng.int(0, 12)}.0`,
      cudnn: `8.${rng.int(0, 10)}.${rng.int(0, 9)}`,
      matplotlib: "3.7.1",
    };
    const r = await recordOf(call, args(validConfig(rng, freshSeed(rng)), { cudaAvailable: true, versions }));
    if (isOutcome(r)) return r;
    const diff = firstDifference(versions, r.versions);
    if (diff !== null) {
      return {
        ok: false,
        pitfall: "version-info-missing",
        message: {
          ja: `env.versions = ${JSON.stringify(versions)} に対して record.versions = ${JSON.stringify(r.versions)} でした (最初の違い: versions${diff})`,
          en: `env.versions = ${JSON.stringify(versions)} but record.versions = ${JSON.stringify(r.versions)} (first difference at versions${diff})`,
        },
      };
    }
    return { ok: true };
  },
};

/** Every config in `list` must be rejected with an error that names its field. */
function rejects(id: string, title: Localized, list: [string, (c: Obj) => void][], pitfall: string): InvariantDef {
  return {
    id,
    name: title,
    async run({ rng, call }) {
      for (const [field, edit] of list) {
        const config = withChange(validConfig(rng, freshSeed(rng)), edit);
        const text = JSON.stringify(config);
        try {
          await call(args(config));
        } catch (e) {
          if (e instanceof CallFailure && e.thrown !== null) {
            if (new RegExp(field, "i").test(e.thrown.message)) continue;
            return {
              ok: false,
              message: {
                ja: `不正な ${field} の設定でエラーになりましたが、メッセージ "${e.thrown.message}" に ${field} が含まれていません。設定: ${text}`,
                en: `the config with an invalid ${field} was rejected, but the message "${e.thrown.message}" does not mention ${field}; config: ${text}`,
              },
            };
          }
          throw e;
        }
        return {
          ok: false,
          pitfall,
          message: {
            ja: `不正な ${field} を含む設定を受け入れて記録を返しました。乱数を引く前に検証してエラーを投げてください。設定: ${text}`,
            en: `a config with an invalid ${field} was accepted and a record returned; validate before any draw and throw. Config: ${text}`,
          },
        };
      }
      return { ok: true };
    },
  };
}

export default defineExercise({
  cases,
  compare: (expected, actual) => compareRecords(expected, actual),
  invariants: [
    repeatable,
    seedMatters,
    deviceFollows,
    versionsKept,
    rejects("seed-inv-rejects-bad-splits", name("和が 1 でない、または範囲外の分割比率は拒否する", "split ratios that do not add up to 1, or lie outside [0, 1], are rejected"), INVALID_SPLITS, "splits-not-validated"),
    rejects(
      "seed-inv-rejects-invalid-config",
      name("不正なモデル・学習・seed の設定は項目名つきのエラーで拒否する", "invalid model, training and seed settings are rejected with an error naming the field"),
      [...INVALID_MODEL, ...INVALID_TRAINING, ...INVALID_OTHER],
      "config-not-validated",
    ),
  ],
});
