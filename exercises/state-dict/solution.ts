import type { Tensor } from "@tfm/kit";

export type StateDict = Record<string, Tensor>;

/** A snapshot: the same names, each tensor cloned so that later training cannot change it. */
export function stateDict(params: StateDict): StateDict {
  const out: StateDict = {};
  for (const [name, t] of Object.entries(params)) out[name] = t.clone();
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const quote = (keys: readonly string[]): string => keys.map((k) => `"${k}"`).join(", ");

/**
 * Copies the values of `dict` into the tensors of `target` by name, in place. Every problem is
 * collected first and reported in one error, and nothing is copied when there is one.
 */
export function loadStateDict(target: StateDict, dict: StateDict, strict: boolean): { missingKeys: string[]; unexpectedKeys: string[] } {
  const missingKeys = Object.keys(target).filter((k) => !Object.hasOwn(dict, k));
  const unexpectedKeys = Object.keys(dict).filter((k) => !Object.hasOwn(target, k));
  const errors: string[] = [];
  if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state_dict: ${quote(missingKeys)}.`);
  if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state_dict: ${quote(unexpectedKeys)}.`);
  for (const [name, param] of Object.entries(target)) {
    const src = dict[name];
    if (src !== undefined && !sameShape(src.shape, param.shape)) {
      errors.push(`size mismatch for ${name}: copying a param with shape [${src.shape.join(", ")}] from checkpoint, the shape in current model is [${param.shape.join(", ")}].`);
    }
  }
  if (errors.length > 0) throw new Error(`Error(s) in loading state_dict:\n\t${errors.join("\n\t")}`);
  for (const [name, param] of Object.entries(target)) {
    const src = dict[name];
    if (src !== undefined) param.copy_(src);
  }
  return { missingKeys, unexpectedKeys };
}

// ---------------------------------------------------------------------------------------------
// The grader calls runCheckpoint: its own copy of this one, with your stateDict and loadStateDict.
// mutate: off (the grader runs driver.ts instead of what follows, so a mutant here changes nothing)

const AFTER_SAVE = 1_000_000;
const AFTER_LOAD = -1_000_000;

export function runCheckpoint(
  model: StateDict,
  target: StateDict,
  edits: Record<string, Tensor | null>,
  strict: boolean,
): { params: StateDict; savedKeys: string[]; missingKeys: string[]; unexpectedKeys: string[] } {
  const saved = stateDict(model);
  const savedKeys = Object.keys(saved);
  // Training goes on after the checkpoint was taken.
  for (const t of Object.values(model)) t.fill_(AFTER_SAVE);
  // The checkpoint is edited before loading: null deletes a key, a tensor adds or replaces one.
  for (const [key, value] of Object.entries(edits)) {
    if (value === null) delete saved[key];
    else saved[key] = value;
  }
  const { missingKeys, unexpectedKeys } = loadStateDict(target, saved, strict);
  // The checkpoint object is reused after loading.
  for (const t of Object.values(saved)) t.fill_(AFTER_LOAD);
  return { params: target, savedKeys, missingKeys, unexpectedKeys };
}
