import type { WireValue } from "@tfm/contract";
import { defineReference, expectThrow } from "@tfm/spec";
import { KitGenerator } from "../kit-rng.ts";

/**
 * The experiment record, in plain TypeScript. The permutation is the kit's torch.randperm, rebuilt
 * from its published algorithm: Fisher-Yates from the end, j = floor(random() * (i + 1)), with the
 * generator re-seeded by torch.manualSeed(seed) just before.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: Json | undefined): v is number => typeof v === "number" && Number.isInteger(v);
const isNum = (v: Json | undefined): v is number => typeof v === "number" && Number.isFinite(v);

/** The field a config breaks first (the name an error message must contain), or null when valid. */
export function invalidField(config: Json): string | null {
  if (!isObj(config)) return "JSON";
  const { model, training, data, seed } = config;
  if (!isObj(model)) return "model";
  if (!isObj(training)) return "training";
  if (!isObj(data)) return "data";
  const positive = (v: Json | undefined): boolean => isInt(v) && v >= 1;
  if (!positive(model.d_model)) return "d_model";
  if (!positive(model.num_heads) || (model.d_model as number) % (model.num_heads as number) !== 0) return "num_heads";
  if (!positive(model.num_layers)) return "num_layers";
  if (!positive(model.d_ff)) return "d_ff";
  if (!isNum(model.dropout) || model.dropout < 0 || model.dropout >= 1) return "dropout";
  if (!positive(training.batch_size)) return "batch_size";
  if (!isNum(training.learning_rate) || training.learning_rate <= 0) return "learning_rate";
  if (!positive(data.num_samples)) return "num_samples";
  const splits = [data.train_split, data.val_split, data.test_split];
  if (!splits.every((s) => isNum(s) && s >= 0 && s <= 1)) return "split";
  const [tr, va, te] = splits as [number, number, number];
  if (!(Math.abs(tr + va + te - 1) <= 1e-9)) return "split";
  if (!isInt(seed) || seed < 0 || seed > 4294967295) return "seed";
  return null;
}

function randperm(n: number, seed: number): number[] {
  const g = new KitGenerator(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

/** Keys sorted at every depth, arrays in order: JSON.stringify of this is the canonical text. */
function sorted(v: Json): Json {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sorted(v[k] as Json);
  return out;
}

interface Env {
  cudaAvailable: boolean;
  versions: Obj;
}

function envOf(v: WireValue | undefined): Env {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) throw new Error("reference: env must be an object");
  const rec = v as Record<string, WireValue>;
  if (typeof rec.cudaAvailable !== "boolean") throw new Error("reference: env.cudaAvailable must be a boolean");
  const versions = rec.versions;
  if (versions === null || typeof versions !== "object" || Array.isArray(versions)) throw new Error("reference: env.versions must be an object");
  return { cudaAvailable: rec.cudaAvailable, versions: versions as Obj };
}

interface Mistakes {
  seed?: number;
  device?: "cuda";
  /** Which checks are skipped: every check, or only that the split ratios add up to 1. */
  skip?: "all" | "split-sum";
}

/** A thrown error no message matches: the mistake's outcome is not defined for this config. */
const UNDEFINED_OUTCOME = expectThrow("(?!)", { ja: "このまちがいの結果は決まりません", en: "this mistake has no defined outcome here" });

/** Whether code with the `skip` mistake accepts a config whose first broken rule is `bad`. */
function goesOn(config: Json, bad: string, skip: Mistakes["skip"]): config is Obj {
  if (skip === undefined || !isObj(config)) return false;
  if (skip === "all") return true;
  // Skipping only the sum check still rejects everything else, ratios outside [0, 1] included.
  const data = config.data;
  return bad === "split" && isObj(data) && [data.train_split, data.val_split, data.test_split].every((r) => isNum(r) && r >= 0 && r <= 1);
}

/** Whether a record can be computed at all from a config that skipped validation. */
function computable(config: Obj): boolean {
  const data = config.data;
  if (!isObj(data) || !isInt(data.num_samples) || data.num_samples < 0) return false;
  if (!isNum(data.train_split) || !isNum(data.val_split) || data.train_split < 0 || data.val_split < 0) return false;
  return isInt(config.seed) && config.seed >= 0 && config.seed <= 4294967295;
}

function record(args: readonly WireValue[], mistakes: Mistakes = {}): WireValue {
  const text = args[0];
  if (typeof text !== "string") throw new Error("reference: the config must be a string");
  let config: Json;
  try {
    config = JSON.parse(text) as Json;
  } catch {
    return expectThrow("JSON", { ja: "JSON として読めない設定はエラーにしてください (メッセージに JSON を含める)", en: "a config that is not valid JSON must be rejected with an error mentioning JSON" });
  }
  const bad = invalidField(config);
  if (bad !== null && goesOn(config, bad, mistakes.skip)) {
    if (!computable(config)) return UNDEFINED_OUTCOME;
  } else if (bad !== null) {
    return expectThrow(bad, {
      ja: `この設定は ${bad} が不正なので、${bad} を含むメッセージのエラーを投げてください`,
      en: `this config has an invalid ${bad}: throw an error whose message contains ${bad}`,
    });
  }
  const cfg = config as Obj;
  const data = cfg.data as Obj;
  const n = data.num_samples as number;
  const perm = randperm(n, mistakes.seed ?? (cfg.seed as number));
  const nTrain = Math.floor(n * (data.train_split as number));
  const nVal = Math.floor(n * (data.val_split as number));
  const env = envOf(args[1]);
  const out: Json = {
    config: cfg,
    device: mistakes.device ?? (env.cudaAvailable ? "cuda" : "cpu"),
    split: { train: perm.slice(0, nTrain), val: perm.slice(nTrain, nTrain + nVal), test: perm.slice(nTrain + nVal) },
    versions: env.versions,
  };
  return JSON.stringify(sorted(out));
}

// seed-after-draw has no variant: what it returns depends on what the generator drew before the
// call. The spec's compare names the version and canonical-form mistakes, and its invariants (which
// see several calls) name every mistake again.
export default defineReference({
  expected: (args) => record(args),
  variants: {
    "seed-hard-coded": (args) => record(args, { seed: 42 }),
    "device-hard-coded": (args) => record(args, { device: "cuda" }),
    "splits-not-validated": (args) => record(args, { skip: "split-sum" }),
    "config-not-validated": (args) => record(args, { skip: "all" }),
  },
});
