import { torch } from "@tfm/kit";

export interface ExperimentEnv {
  cudaAvailable: boolean;
  versions: Record<string, string>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function section(config: Obj, name: string): Obj {
  const s = config[name];
  if (!isObj(s)) throw new Error(`config.${name} must be an object`);
  return s;
}

function int(obj: Obj, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(obj: Obj, key: string, ok: (v: number) => boolean, rule: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`${key} must be ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

/** Sorted keys at every depth: JSON.stringify of the result is the canonical text. */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical(v[k] as Json);
  return out;
}

// Saves the record as the chapter saves its config (indent 2), keys in the order they were written.
export function runExperiment(configJson: string, env: ExperimentEnv): string {
  let parsed: Json;
  try {
    parsed = JSON.parse(configJson) as Json;
  } catch (e) {
    throw new Error(`the config is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(parsed)) throw new Error("the config must be a JSON object");
  const config = parsed;

  // 1. Validate everything before any work is done.
  const model = section(config, "model");
  const training = section(config, "training");
  const data = section(config, "data");
  const dModel = int(model, "d_model", 1);
  const numHeads = int(model, "num_heads", 1);
  if (dModel % numHeads !== 0) throw new Error(`num_heads (${numHeads}) must divide d_model (${dModel})`);
  int(model, "num_layers", 1);
  int(model, "d_ff", 1);
  num(model, "dropout", (p) => p >= 0 && p < 1, "in [0, 1)");
  int(training, "batch_size", 1);
  num(training, "learning_rate", (lr) => lr > 0, "positive");
  const n = int(data, "num_samples", 1);
  const inUnit = (s: number): boolean => s >= 0 && s <= 1;
  const train = num(data, "train_split", inUnit, "in [0, 1]");
  const val = num(data, "val_split", inUnit, "in [0, 1]");
  const test = num(data, "test_split", inUnit, "in [0, 1]");
  if (Math.abs(train + val + test - 1) > 1e-9) throw new Error(`train_split + val_split + test_split must be 1, got ${train + val + test}`);
  const seed = int(config, "seed", 0, 4294967295);

  // 2. Device from availability, never hard-coded.
  const device = env.cudaAvailable ? "cuda" : "cpu";

  // 3. Seed first, then draw: the permutation is the first thing the generator produces.
  torch.manualSeed(seed);
  const perm = torch.randperm(n).tolist() as number[];
  const nTrain = Math.floor(n * train);
  const nVal = Math.floor(n * val);

  const record: Json = {
    config,
    device,
    split: { train: perm.slice(0, nTrain), val: perm.slice(nTrain, nTrain + nVal), test: perm.slice(nTrain + nVal) },
    versions: { ...env.versions },
  };
  void canonical;
  return JSON.stringify(record, null, 2);
}
