/**
 * The grader's runCheckpoint (the statement's "driver"): the grader bundles THIS file as the module
 * it calls, importing the student's stateDict and loadStateDict. The student's own copy of
 * runCheckpoint is never called, so changing it changes nothing that is checked.
 *
 * Every object the checks read is the driver's own: the snapshot's keys and tensors are read once
 * into a plain object, so a student object cannot change what the driver later writes or reads.
 */
import { Tensor } from "@tfm/kit";
import * as student from "./starter.ts";

type StateDict = Record<string, Tensor>;

const AFTER_SAVE = 1_000_000;
const AFTER_LOAD = -1_000_000;

const fill = Tensor.prototype.fill_;
const dataOf = Tensor.prototype.data;

type Values = Float32Array | Int32Array | Uint8Array | null;

/**
 * A parameter's values (the driver's own copy of its data), to tell whether a failed load changed it.
 * Compared element by element, not as JSON text, and kept in a Map, not a plain object: this code
 * runs in the student's realm, where Object.prototype could hold a toJSON or a setter.
 */
function valuesOf(t: unknown): Values {
  return t instanceof Tensor ? (Reflect.apply(dataOf, t, []) as Float32Array | Int32Array | Uint8Array) : null;
}

function sameValues(a: Values, b: Values): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    // NaN stays NaN: a parameter that held NaN is not "changed" by being read.
    if (x !== y && !(x !== x && y !== y)) return false;
  }
  return true;
}

function ownCopy(what: string, dict: unknown): StateDict {
  if (typeof dict !== "object" || dict === null) throw new TypeError(`${what} must return an object of tensors`);
  const out: StateDict = {};
  for (const key of Object.keys(dict)) {
    const value = (dict as Record<string, unknown>)[key];
    if (!(value instanceof Tensor)) throw new TypeError(`${what}: "${key.slice(0, 60)}" is not a Tensor`);
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return out;
}

export function runCheckpoint(
  model: StateDict,
  target: StateDict,
  edits: Record<string, Tensor | null>,
  strict: boolean,
): { params: StateDict; savedKeys: string[]; missingKeys: string[]; unexpectedKeys: string[] } {
  const saved = ownCopy("stateDict", student.stateDict(model));
  const savedKeys = Object.keys(saved);
  // Training goes on after the checkpoint was taken.
  for (const t of Object.values(model)) Reflect.apply(fill, t, [AFTER_SAVE]);
  // The checkpoint is edited before loading: null deletes a key, a tensor adds or replaces one.
  for (const [key, value] of Object.entries(edits)) {
    if (value === null) delete saved[key];
    else Object.defineProperty(saved, key, { value, writable: true, enumerable: true, configurable: true });
  }
  const keys = Object.keys(target);
  const before = new Map<string, Values>();
  for (let i = 0; i < keys.length; i++) before.set(keys[i] as string, valuesOf(target[keys[i] as string]));
  let loaded: unknown;
  try {
    loaded = student.loadStateDict(target, saved, strict);
  } catch (e) {
    // "Copy nothing when you throw": a load that fails must leave every parameter as it was.
    let changed: string | undefined;
    for (let i = 0; i < keys.length && changed === undefined; i++) {
      const k = keys[i] as string;
      if (!sameValues(valuesOf(target[k]), before.get(k) ?? null)) changed = k;
    }
    if (changed !== undefined) {
      throw new Error(
        `loadStateDict threw after it had already changed the parameter "${changed.slice(0, 60)}": check every key and shape first, and copy nothing when you throw / ` +
          `loadStateDict はパラメータ "${changed.slice(0, 60)}" を書き換えてからエラーを投げました。先にすべてのキーと形状を確かめ、エラーを投げるときは何もコピーしないでください`,
      );
    }
    throw e;
  }
  const { missingKeys, unexpectedKeys } = (loaded ?? {}) as { missingKeys: string[]; unexpectedKeys: string[] };
  // The checkpoint is reused after loading: the driver's own list of its tensors, not the student's object.
  for (const t of Object.values(saved)) Reflect.apply(fill, t, [AFTER_LOAD]);
  return { params: target, savedKeys, missingKeys, unexpectedKeys };
}
