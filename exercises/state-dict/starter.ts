import type { Tensor } from "@tfm/kit";

export type StateDict = Record<string, Tensor>;

/**
 * Returns a snapshot of the parameters: a new object with the same names, in the same order,
 * whose tensors do not change when `params` changes later.
 */
export function stateDict(params: StateDict): StateDict {
  void params;
  return {};
}

/**
 * Copies the values of `dict` into `target` by name.
 * - missingKeys: names of `target` that `dict` lacks; unexpectedKeys: names of `dict` that `target` lacks.
 * - strict: any missing or unexpected key is an error ("Missing key(s) in state_dict: ...",
 *   "Unexpected key(s) in state_dict: ...").
 * - A shape mismatch is always an error ("size mismatch for <name>: ..."), strict or not.
 * - After loading, `target` must not share a tensor with `dict`.
 */
export function loadStateDict(target: StateDict, dict: StateDict, strict: boolean): { missingKeys: string[]; unexpectedKeys: string[] } {
  void target;
  void dict;
  void strict;
  return { missingKeys: [], unexpectedKeys: [] };
}

// ---------------------------------------------------------------------------------------------
// The grader calls runCheckpoint: its own copy of this one, with your stateDict and loadStateDict.

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
