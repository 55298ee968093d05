/**
 * Runs INSIDE the isolate, bundled with the kit into one script. It returns the harness API to
 * the host as the script's completion value; nothing here is reachable from student code except
 * the kit namespace handed to `require("@tfm/kit")`.
 *
 * Student code runs after this file, so every intrinsic the harness uses is captured first and
 * the global intrinsics and the kit are frozen before the student's module is evaluated.
 */
import * as kit from "@tfm/kit";
import { WASM_ELEMENTWISE_MIN, setWasmGemmEnabled, wasmFirstDifference, wasmGemmState } from "@tfm/kit/internal";
import { WARM_SHAPE, kitWorkload } from "./warm-up.ts";

const KIT_MODULE = "@tfm/kit";

// Captured before any student code exists.
const ArrayIsArray = Array.isArray;
const ObjectKeys = Object.keys;
const ObjectFreeze = Object.freeze;
const ObjectIsFrozen = Object.isFrozen;
const ObjectPreventExtensions = Object.preventExtensions;
const ObjectIsExtensible = Object.isExtensible;
const MapCtor = Map;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectDefineProperty = Object.defineProperty;
const ReflectOwnKeys = Reflect.ownKeys;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectHasOwn = Object.hasOwn;
const ObjectPrototype = Object.prototype;
const ReflectDeleteProperty = Reflect.deleteProperty;
const StringCtor = String;
const MathMin = Math.min;
const MathFloor = Math.floor;
const SetCtor = Set;
const SetAdd = Set.prototype.add;
const SetHas = Set.prototype.has;
const SetDelete = Set.prototype.delete;
const ArrayBufferIsView = ArrayBuffer.isView;
const NumberIsInteger = Number.isInteger;
const JSONStringify = JSON.stringify;
const StringSlice = String.prototype.slice;
const StringSplit = String.prototype.split;
// The result budget is charged only through these, captured now: the typed-array prototypes stay
// extensible (see lockdown), so a student could add an own `length` or `byteLength` to one later.
const TypedArrayPrototype = ObjectGetPrototypeOf(Int8Array.prototype) as object;
const typedArrayGetter = (name: string): ((this: unknown) => unknown) => {
  const get = ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, name)?.get;
  if (get === undefined) throw new Error(`the sandbox needs %TypedArray%.prototype.${name}`);
  return get;
};
const TypedArrayLength = typedArrayGetter("length");
const TypedArrayByteLength = typedArrayGetter("byteLength");
const TypedArrayBuffer = typedArrayGetter("buffer");
const TypedArrayByteOffset = typedArrayGetter("byteOffset");
const TypedArraySet = (TypedArrayPrototype as { set: (this: unknown, src: unknown) => void }).set;
const NumberIsFinite = Number.isFinite;
const Float32ArrayCtor = Float32Array;
const Int32ArrayCtor = Int32Array;
const Uint8ArrayCtor = Uint8Array;
const MAX_RANK = 8;
const tensorParts = kit.tensorParts;
const fromParts = kit.fromParts;
const KitError = kit.KitError;
const KitMemoryError = kit.KitMemoryError;

/**
 * Student code shares this realm, and Object.prototype and Array.prototype stay extensible (see
 * lockdown): a plain `x[i] = v` or `rec.k = v` of the harness would run a setter the student added
 * there, and a read of a missing own key would run a getter. So the harness writes only with this
 * (a define never consults the prototype chain; the descriptor has no prototype either, so a `get`
 * or `value` added to Object.prototype cannot change its meaning) and reads wire keys as own ones,
 * wherever code of the submission may have run since the last intrinsics check (encode reads the
 * submission's result: its getters run). decode, which runs right after a check, writes plainly.
 */
const DATA_DESCRIPTOR: PropertyDescriptor = ObjectSetPrototypeOf({ value: undefined, writable: true, enumerable: true, configurable: true }, null);
function defineOwn(target: object, key: PropertyKey, value: unknown): void {
  DATA_DESCRIPTOR.value = value;
  ObjectDefineProperty(target, key, DATA_DESCRIPTOR);
  DATA_DESCRIPTOR.value = undefined;
}
export interface BootOptions {
  withheld: string[];
  consoleBytes: number;
  resultBytes: number;
  seed: number;
  /**
   * How lockdown reaches the intrinsics (see LockdownPlan): `record` walks them and returns the plan
   * (the host's first isolate), `replay` freezes the recorded objects without walking, `audit` replays
   * and then walks to check that every object the walk reaches is as the walk would leave it.
   * Absent: the walk, as always. `kit`: the same for the walk of the student kit (after the
   * intrinsics'), which depends on the exercise's withheld entries: recorded per withheld list, and
   * without it the kit is walked. `record` records both.
   */
  lockdown?: { mode: "record" } | { mode: "replay" | "audit"; plan: PackedLockdownPlan; kit?: PackedLockdownPlan };
  /**
   * Whether the kit runs its float32 products in WebAssembly (packages/kit/src/wasm-gemm.ts). The
   * host turns it off where the memory limit is under WASM_KERNELS_MIN_MEMORY_MB (sandbox.ts).
   */
  wasmKernels: boolean;
}

/**
 * The objects lockdown's walk of the intrinsics reaches, in the order it reaches them, recorded in
 * one isolate so that later isolates of the same process (the same V8, the same bundle: the same
 * intrinsics, object for object) freeze them without walking every property again. Four numbers
 * per object: how it is reached (0: root `a`; 1: the data property keys[k] of object `a`; 2: the
 * prototype of object `a`), a, k, and what is done to it (0 freeze, 1 lock its properties, 2 lock
 * them except `constructor`).
 */
export interface LockdownPlan {
  keys: string[];
  ops: number[];
}

/** A plan as it is copied into each isolate: the keys joined with NUL, the numbers packed. */
export interface PackedLockdownPlan {
  keys: string;
  ops: Int32Array;
}

export interface ErrorInfo {
  name: string;
  message: string;
  messageJa: string | null;
  stack: string;
}

export type CallResult =
  /** `inputChanged`: where the call wrote into one of its own arguments (e.g. "argument 1", "argument 2.Wq"). */
  | { ok: true; value: unknown; inputChanged?: string }
  | { ok: false; kind: "runtime" | "memory" | "output" | "undefined" | "promise" | "not-function"; error: ErrorInfo };

/** A private marker error: output limits are enforced by a sticky flag, not by this error alone. */
class OutputLimitError extends Error {}

const MEMORY_MESSAGES = /Array buffer allocation failed|Invalid typed array length|Invalid array length|Invalid string length/;

/** The host's console sink (an isolated-vm Reference): fire-and-forget, never handed to student code. */
interface ConsoleSink {
  applyIgnored(receiver: undefined, args: unknown[]): void;
}

export function boot(options: BootOptions, sink?: ConsoleSink) {
  const state = { consoleUsed: 0, outputExceeded: false, resultTooLarge: false };
  let consoleText = "";
  /** The console's cap in bytes (set again for a hidden session, see beginHidden). */
  let consoleCap = options.consoleBytes;
  let consoleAtCall = 0;
  let exceededAtCall = false;
  const sinkApply = sink === undefined ? undefined : sink.applyIgnored;
  const forward = (text: string, exceeded: boolean): void => {
    if (sinkApply === undefined) return;
    try {
      ReflectApply(sinkApply, sink, [undefined, [text, exceeded]]);
    } catch {
      // The host went away: the buffered copy below is still drained normally.
    }
  };

  // Seeded Math.random so a grading replays exactly (splitmix32).
  let rs = options.seed >>> 0;
  /** The state Math.random starts from (see beginHidden). */
  let firstSeed = rs;
  const seededRandom = (): number => {
    rs = (rs + 0x9e3779b9) >>> 0;
    let z = rs;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 8) / 16777216;
  };
  (Math as { random: () => number }).random = seededRandom;

  // Console: buffered here, capped; exceeding the cap is sticky.
  const write = (level: string, args: unknown[]): void => {
    if (state.outputExceeded) throw new OutputLimitError("console output limit exceeded");
    let line = level === "log" || level === "info" || level === "debug" ? "" : `[${level}] `;
    for (let i = 0; i < args.length; i++) line += (i > 0 ? " " : "") + formatForConsole(args[i], 0);
    line += "\n";
    const remaining = consoleCap - state.consoleUsed;
    if (line.length > remaining) {
      const kept = ReflectApply(StringSlice, line, [0, remaining > 0 ? remaining : 0]) as string;
      consoleText += kept;
      state.consoleUsed = consoleCap;
      state.outputExceeded = true;
      forward(kept, true);
      throw new OutputLimitError("console output limit exceeded");
    }
    consoleText += line;
    state.consoleUsed += line.length;
    forward(line, false);
  };
  const consoleObject = {
    log: (...a: unknown[]) => write("log", a),
    info: (...a: unknown[]) => write("info", a),
    debug: (...a: unknown[]) => write("debug", a),
    warn: (...a: unknown[]) => write("warn", a),
    error: (...a: unknown[]) => write("error", a),
  };
  (globalThis as { console: unknown }).console = consoleObject;

  // Not needed by any exercise, and each is a way to block or to share memory, or (FinalizationRegistry)
  // to run code outside every call: V8 runs its cleanup callbacks as tasks of their own after a garbage
  // collection, which isolated-vm runs when the isolate is next entered on its thread, under no call's
  // time limit (one that never returned stalled the worker). With it gone, nothing of a submission runs
  // but its top level, its calls and their microtasks, all under the call's limit.
  for (const name of ["WebAssembly", "SharedArrayBuffer", "Atomics", "FinalizationRegistry"]) ReflectDeleteProperty(globalThis, name);
  // The kit captured what it needs of WebAssembly when it was evaluated, above; off where the host says so.
  setWasmGemmEnabled(options.wasmKernels === true);

  const studentKit = buildStudentKit(options.withheld);
  const lockdownReport = lockdown(studentKit, options.lockdown);
  const watched = watchIntrinsics();
  /** Sticky: once student code changed a shared prototype, this and every later call fail with it. */
  let tampered: CallResult | null = null;
  /**
   * Run after the top level, before and after every call (a microtask may have run since the last
   * check), before anything of a call's result is encoded or leaves the isolate. Every watched
   * property but a few loose ones is locked, so a check is one key count per prototype and one
   * descriptor per loose key.
   */
  const checkIntrinsics = (): CallResult | null => {
    if (tampered !== null) return tampered;
    const change = intrinsicChange(watched);
    if (change === null) return null;
    tampered = {
      ok: false,
      kind: "runtime",
      error: {
        name: "IntrinsicChanged",
        message: `the submission changed ${change}: the built-in prototypes are shared with the grader and must stay as they are (add no properties or methods to Object.prototype, Array.prototype, the typed arrays or ArrayBuffer; write a helper function instead)`,
        messageJa: `提出コードが ${change} を変更しました。組み込みのプロトタイプは採点器と共有しているため変更できません (Object.prototype、Array.prototype、型付き配列、ArrayBuffer にプロパティやメソッドを追加せず、代わりにヘルパー関数を書いてください)`,
        stack: "",
      },
    };
    return tampered;
  };

  let exportsObject: Record<string, unknown> | null = null;
  /** Student code has run (or started to): the seed can no longer be set. */
  let loadStarted = false;

  const requireShim = (name: unknown): unknown => {
    if (name === KIT_MODULE) return studentKit;
    throw new Error(`Cannot import '${StringCtor(name)}': only '${KIT_MODULE}' is available in the sandbox`);
  };

  function load(factory: unknown): CallResult {
    if (typeof factory !== "function") return fail("runtime", new Error("internal: module factory is not a function"));
    loadStarted = true;
    // Where the top level's console output begins (see drainBeforeCall): nothing, unless a spare's boot printed.
    consoleAtCall = consoleText.length;
    exceededAtCall = state.outputExceeded;
    const module: { exports: Record<string, unknown> } = { exports: {} };
    try {
      ReflectApply(factory, undefined, [requireShim, module, module.exports]);
    } catch (e) {
      return checkIntrinsics() ?? classify(e);
    }
    const tampered = checkIntrinsics();
    if (tampered !== null) return tampered;
    exportsObject = module.exports;
    return { ok: true, value: null };
  }

  function call(entry: string, args: unknown[]): CallResult {
    // Student code may have run since the last check (microtasks, finalization callbacks).
    // Where this call's console output begins (see drainBeforeCall).
    consoleAtCall = consoleText.length;
    exceededAtCall = state.outputExceeded;
    // Sticky (see checkIntrinsics): a load that changed a prototype left no module to call.
    if (tampered !== null) return tampered;
    if (exportsObject === null) return fail("runtime", new Error("internal: module not loaded"));
    let fn: unknown;
    try {
      fn = exportsObject[entry];
    } catch (e) {
      return checkIntrinsics() ?? classify(e);
    }
    // After the export's read (a getter there is the submission's code) and before the arguments are
    // decoded: from here until the entry point is called only the harness and the kit run, on
    // prototypes known to be as lockdown left them (decode relies on it).
    const tamperedBefore = checkIntrinsics();
    if (tamperedBefore !== null) return tamperedBefore;
    if (typeof fn !== "function") {
      return {
        ok: false,
        kind: "not-function",
        error: {
          name: "ExportError",
          message: `export a function named '${entry}' (found ${fn === undefined ? "nothing" : typeof fn})`,
          messageJa: `'${entry}' という名前の関数を export してください (見つかったもの: ${fn === undefined ? "なし" : typeof fn})`,
          stack: "",
        },
      };
    }
    let result: unknown;
    // The caller's tensors must come back unchanged (in-place ops such as fill_ or copy_ on an
    // argument): the decoded tensors share the argument arrays, so copies taken now tell.
    const inputs: InputSnapshot[] = [];
    try {
      const decoded: unknown[] = [];
      for (let i = 0; i < args.length; i++) decoded[i] = decode(args[i], `argument ${i + 1}`, inputs);
      result = ReflectApply(fn, undefined, decoded);
    } catch (e) {
      return checkIntrinsics() ?? classify(e);
    }
    const tamperedDuring = checkIntrinsics();
    if (tamperedDuring !== null) return tamperedDuring;
    if (state.outputExceeded) return fail("output", new Error("console output limit exceeded"));
    const inputChanged = changedInput(inputs);
    if (result === undefined) {
      return {
        ok: false,
        kind: "undefined",
        error: { name: "ResultError", message: "the function returned undefined; return the result", messageJa: "関数が undefined を返しました。結果を return してください", stack: "" },
      };
    }
    if ((typeof result === "object" || typeof result === "function") && result !== null) {
      let then: unknown;
      try {
        then = (result as { then?: unknown }).then;
      } catch (e) {
        return classify(e);
      }
      if (typeof then === "function") {
        return {
          ok: false,
          kind: "promise",
          error: { name: "ResultError", message: "the function returned a Promise; entry points must be synchronous (no async)", messageJa: "関数が Promise を返しました。エントリポイントは同期関数にしてください (async 不可)", stack: "" },
        };
      }
    }
    try {
      const budget = { bytes: 0 };
      const value = encode(result, 0, budget, new SetCtor<object>());
      return inputChanged === null ? { ok: true, value } : { ok: true, value, inputChanged };
    } catch (e) {
      return classify(e);
    }
  }

  function drainConsole(): { text: string; exceeded: boolean } {
    const text = consoleText;
    consoleText = "";
    return { text, exceeded: state.outputExceeded };
  }

  /**
   * What was printed before the last call began: for a call the host stopped and will run again
   * elsewhere (a busy host, see Sandbox.call), whose own lines would otherwise be shown twice.
   */
  function drainBeforeCall(): { text: string; exceeded: boolean } {
    const text = ReflectApply(StringSlice, consoleText, [0, consoleAtCall]) as string;
    consoleText = "";
    return { text, exceeded: exceededAtCall };
  }

  /** Adds n bytes to the result's budget (one function, not a closure per encoded value). */
  function charge(budget: { bytes: number }, n: number): void {
    // Every size comes from a captured getter or a checked length; one that is not a finite
    // integer would make the budget NaN and let anything through.
    if (!NumberIsFinite(n) || !NumberIsInteger(n) || n < 0) throw new TypeError("the result has a part whose size cannot be measured");
    budget.bytes += n;
    if (budget.bytes > options.resultBytes) {
      state.resultTooLarge = true;
      throw new OutputLimitError(`the result is larger than ${options.resultBytes} bytes`);
    }
  }

  function encode(v: unknown, depth: number, budget: { bytes: number }, seen: Set<object>): unknown {
    if (depth > 32) throw new TypeError("the result is nested more than 32 levels deep");
    if (v === null || v === undefined) {
      charge(budget, 8);
      return null;
    }
    switch (typeof v) {
      case "number":
      case "boolean":
        charge(budget, 8);
        return v;
      case "string":
        charge(budget, 16 + v.length * 2);
        return v;
      case "bigint":
        throw new TypeError("the result contains a bigint; use numbers");
      case "symbol":
        throw new TypeError("the result contains a symbol");
      case "function":
        throw new TypeError("the result contains a function; return tensors, arrays, numbers or strings");
    }
    const obj = v as object;
    const parts = tensorParts(obj);
    if (parts !== null) {
      // The kit's own data, but checked as if it were not: the host reads exactly what is checked here.
      const shape = parts.shape;
      const rank = shape.length;
      if (!NumberIsInteger(rank) || rank > MAX_RANK) throw new TypeError(`the result contains a tensor of rank ${StringCtor(rank)}; at most ${MAX_RANK} dimensions can be returned`);
      let numel = 1;
      for (let i = 0; i < rank; i++) {
        const d = shape[i];
        if (typeof d !== "number" || !NumberIsInteger(d) || d < 0) throw new TypeError("the result contains a tensor with an invalid shape");
        numel *= d;
      }
      const length = ReflectApply(TypedArrayLength, parts.data, []) as number;
      const bytes = ReflectApply(TypedArrayByteLength, parts.data, []) as number;
      if (!NumberIsInteger(length) || !NumberIsInteger(bytes) || length !== numel) throw new TypeError("the result contains a tensor whose data does not match its shape");
      charge(budget, 64 + bytes);
      const Ctor = parts.dtype === "float32" ? Float32ArrayCtor : parts.dtype === "int32" ? Int32ArrayCtor : Uint8ArrayCtor;
      // A copy of exactly these elements: a view would carry its whole underlying buffer across.
      const data = new Ctor(length);
      ReflectApply(TypedArraySet, data, [parts.data]);
      // tensorParts' shape is a fresh array of the kit's own making, checked above and seen by nothing else.
      return { $tensor: { dtype: parts.dtype, shape, data } };
    }
    if (ReflectApply(SetHas, seen, [obj])) throw new TypeError("the result contains a cycle (an object that contains itself)");
    ReflectApply(SetAdd, seen, [obj]);
    let out: unknown;
    if (ArrayBufferIsView(obj)) {
      const view = obj as unknown as ArrayLike<number>;
      let n: number;
      try {
        n = ReflectApply(TypedArrayLength, view, []) as number;
      } catch {
        throw new TypeError("the result contains a DataView; return tensors, arrays or numbers");
      }
      charge(budget, 16 + n * 8);
      const arr: unknown[] = [];
      for (let i = 0; i < n; i++) defineOwn(arr, i, +(view[i] ?? 0));
      out = arr;
    } else if (ArrayIsArray(obj)) {
      const src = obj as unknown[];
      const n = src.length;
      if (!NumberIsInteger(n) || n < 0) throw new TypeError("the result contains an array with an invalid length");
      charge(budget, 16 + n * 8);
      const arr: unknown[] = [];
      for (let i = 0; i < n; i++) defineOwn(arr, i, encode(src[i], depth + 1, budget, seen));
      out = arr;
    } else {
      const keys = ObjectKeys(obj);
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        charge(budget, 16 + key.length * 2);
        if (key === "$tensor") throw new TypeError("the result uses the reserved key '$tensor'");
        defineOwn(rec, key, encode((obj as Record<string, unknown>)[key], depth + 1, budget, seen));
      }
      out = rec;
    }
    ReflectApply(SetDelete, seen, [obj]);
    return out;
  }

  interface InputSnapshot {
    where: string;
    /** What is compared: the tensor's data, or for float32 its bits (an Int32Array on the same buffer). */
    live: ArrayLike<number>;
    copy: ArrayLike<number>;
    /** float32 only: the data and its copy as numbers, to judge a difference in the bits (see changedInput). */
    liveValues: ArrayLike<number> | null;
    copyValues: ArrayLike<number> | null;
    /** live and copy are Int32Arrays (float32 and int32 data): a large one is compared in WebAssembly. */
    words: boolean;
  }

  /**
   * The first argument whose data the call changed. float32 data is compared by its bits (int32
   * reads, which a cold isolate makes without allocating a heap number per element, where a float
   * read allocates one) and a difference in the bits is then judged as numbers, as before: -0 and 0
   * are equal, and NaN stays NaN (an input that held NaN is not "changed" by being read). Int32 data
   * of WASM_ELEMENTWISE_MIN elements or more is scanned in the kit's WebAssembly module (in a cold
   * isolate this loop cost ~75 ns per element: 3 ms of dropout's 40,000-element test), each differing
   * element judged here the same way, in one linear pass.
   */
  function changedInput(inputs: readonly InputSnapshot[]): string | null {
    for (let k = 0; k < inputs.length; k++) {
      const s = inputs[k] as InputSnapshot;
      const live = s.live;
      const copy = s.copy;
      const n = copy.length;
      const at = s.words && n >= WASM_ELEMENTWISE_MIN ? wasmFirstDifference(live as Int32Array, copy as Int32Array, n, (i) => changedAt(s, i)) : null;
      if (at !== null) {
        if (at >= 0) return s.where;
        continue;
      }
      for (let i = 0; i < n; i++) {
        if (live[i] !== copy[i] && changedAt(s, i)) return s.where;
      }
    }
    return null;
  }

  /** Whether element i, whose bits differ from its copy's, differs as a number (not -0 for 0, not one NaN for another). */
  function changedAt(s: InputSnapshot, i: number): boolean {
    const a = (s.liveValues === null ? s.live[i] : s.liveValues[i]) as number;
    const b = (s.copyValues === null ? s.copy[i] : s.copyValues[i]) as number;
    return a !== b && !(a !== a && b !== b);
  }

  /**
   * A wire value as the submission gets it (tensors become the kit's, sharing the wire arrays), and a
   * copy of every tensor's data in `inputs`, taken before any student code runs: the caller's tensors
   * must come back unchanged (in-place ops such as fill_ or copy_ on an argument), and the copies tell.
   * Runs only right after the intrinsics check passed (call, warm) and before any code of the
   * submission: Object.prototype and Array.prototype then hold nothing but what lockdown left, so its
   * plain reads of the host's copies and plain writes to its own fresh arrays and records run no
   * accessor (a defineProperty per write cost ~20% of a call's harness time: README, stop 32).
   */
  function decode(v: unknown, where: string, inputs: InputSnapshot[]): unknown {
    if (v === null || typeof v !== "object") return v;
    if (ArrayIsArray(v)) {
      const arr: unknown[] = [];
      for (let i = 0; i < v.length; i++) arr[i] = decode(v[i], `${where}[${i}]`, inputs);
      return arr;
    }
    const t = (v as { $tensor?: unknown }).$tensor as { dtype: "float32" | "int32" | "bool"; shape: number[]; data: Float32Array | Int32Array | Uint8Array } | undefined;
    if (t !== undefined) {
      const dtype = t.dtype;
      const data = t.data;
      const tensor = fromParts(dtype, t.shape, data);
      // fromParts checked that data is a typed array of the dtype's kind: copied natively.
      const Ctor = dtype === "float32" ? Float32ArrayCtor : dtype === "int32" ? Int32ArrayCtor : Uint8ArrayCtor;
      const n = ReflectApply(TypedArrayLength, data, []) as number;
      const copy = new Ctor(n);
      ReflectApply(TypedArraySet, copy, [data]);
      const snapshot: InputSnapshot =
        dtype === "float32"
          ? {
              where,
              live: new Int32ArrayCtor(ReflectApply(TypedArrayBuffer, data, []) as ArrayBuffer, ReflectApply(TypedArrayByteOffset, data, []) as number, n),
              copy: new Int32ArrayCtor(ReflectApply(TypedArrayBuffer, copy, []) as ArrayBuffer, 0, n),
              liveValues: data,
              copyValues: copy,
              words: true,
            }
          : { where, live: data, copy, liveValues: null, copyValues: null, words: dtype === "int32" };
      inputs[inputs.length] = snapshot;
      return tensor;
    }
    const rec: Record<string, unknown> = {};
    const keys = ObjectKeys(v);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = decode((v as Record<string, unknown>)[key], `${where}.${key}`, inputs);
      // A name Object.prototype has (`__proto__`, an accessor; `hasOwnProperty` and the rest, read-only
      // since lockdown, where an assignment throws) is defined as a key like any other.
      if (key in ObjectPrototype) defineOwn(rec, key, value);
      else rec[key] = value;
    }
    return rec;
  }

  function classify(e: unknown): CallResult {
    if (state.outputExceeded || e instanceof OutputLimitError) return fail("output", e);
    if (e instanceof KitMemoryError) return fail("memory", e);
    const info = describe(e);
    if (info.name === "RangeError" && MEMORY_MESSAGES.test(info.message)) return { ok: false, kind: "memory", error: info };
    return { ok: false, kind: "runtime", error: info };
  }

  function fail(kind: "runtime" | "memory" | "output", e: unknown): CallResult {
    return { ok: false, kind, error: describe(e) };
  }

  /**
   * The submission's seed, set by the host once the isolate is handed to a submission (a spare is
   * booted ahead of time, before its submission is known); refused once student code was loaded.
   */
  function reseed(seed: unknown): boolean {
    if (loadStarted || typeof seed !== "number" || !NumberIsInteger(seed)) return false;
    rs = seed >>> 0;
    firstSeed = rs;
    return true;
  }

  /**
   * The submission's hidden session begins here, in the context of its visible one (Sandbox.beginHidden),
   * once everything the visible session shows has been read. What a fresh context would start with is
   * set again: the console (its buffer, its cap, `consoleBytes`, and a sticky overflow), the seeded Math.random and the
   * kit's default generator (so the hidden calls draw what they would have drawn in a fresh context).
   * The submission's own module state stays, as between its calls. Refused before the submission was
   * loaded and after it changed a shared prototype (the host then gives the hidden session a fresh isolate).
   */
  function beginHidden(consoleBytes: unknown): boolean {
    if (!loadStarted || exportsObject === null || typeof consoleBytes !== "number" || !NumberIsInteger(consoleBytes) || consoleBytes < 0) return false;
    if (checkIntrinsics() !== null) return false;
    consoleCap = consoleBytes;
    consoleText = "";
    consoleAtCall = 0;
    exceededAtCall = false;
    state.consoleUsed = 0;
    state.outputExceeded = false;
    state.resultTooLarge = false;
    rs = firstSeed;
    kit.torch.manualSeed(0);
    return true;
  }

  /**
   * One step of a spare's warm-up (warm-up.ts), asked by the host only before the isolate is handed
   * to a submission (and refused after, like reseed): the steps of a call (an argument snapshotted and
   * decoded, the intrinsics checked, the kit's common operations, the result encoded) on a fixed
   * input, all of it discarded. Returns whether the step ran to its end.
   */
  function warm(): boolean {
    if (loadStarted) return false;
    let done = false;
    try {
      const wire = warmInput();
      const inputs: InputSnapshot[] = [];
      if (checkIntrinsics() !== null) return false;
      const result = kitWorkload(decode(wire, "argument 1", inputs) as kit.Tensor);
      if (checkIntrinsics() !== null) return false;
      changedInput(inputs);
      encode(result, 0, { bytes: 0 }, new SetCtor<object>());
      done = true;
    } catch {
      // A withheld entry (or anything else): only speed is lost; the host stops warming this isolate.
    }
    state.resultTooLarge = false;
    return done;
  }

  return ObjectFreeze({ load, call, drainConsole, drainBeforeCall, reseed, beginHidden, warm, kernels: wasmGemmState, lockdown: lockdownReport });
}

/** The warm-up's input as the host's copies arrive: a wire tensor built key by key (so the harness's reads see the same shapes). */
function warmInput(): Record<string, unknown> {
  const b = WARM_SHAPE[0];
  const t = WARM_SHAPE[1];
  const d = WARM_SHAPE[2];
  const data = new Float32ArrayCtor(b * t * d);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 101) / 101;
  const tensor: Record<string, unknown> = {};
  tensor.dtype = "float32";
  tensor.shape = [b, t, d];
  tensor.data = data;
  const wire: Record<string, unknown> = {};
  wire.$tensor = tensor;
  return wire;
}

function describe(e: unknown): ErrorInfo {
  let name = "Error";
  let message = "";
  let messageJa: string | null = null;
  let stack = "";
  try {
    if (e instanceof Error) {
      name = StringCtor(e.name);
      message = StringCtor(e.message);
      stack = typeof e.stack === "string" ? e.stack : "";
      if (e instanceof KitError) messageJa = StringCtor((e as { messageJa?: unknown }).messageJa ?? "");
    } else {
      name = "NonErrorThrown";
      message = `a non-Error value was thrown: ${formatForConsole(e, 0)}`;
      messageJa = `Error ではない値が throw されました: ${formatForConsole(e, 0)}`;
    }
  } catch {
    name = "Error";
    message = "an exception was thrown that could not be described";
  }
  return {
    name: clip(name, 100),
    message: clip(message, 2000),
    messageJa: messageJa === null ? null : clip(messageJa, 2000),
    stack: clip(stack, 4000),
  };
}

/** One prototype student code can still change (see lockdown), as it was before any student code ran. */
interface WatchedPrototype {
  proto: object;
  label: string;
  parent: unknown;
  keys: PropertyKey[];
  /**
   * Not extensible (lockdown makes the typed-array prototypes and ArrayBuffer.prototype so): no key
   * can be added and its prototype cannot change, so only its loose keys need a look.
   */
  closed: boolean;
  /**
   * The own properties that were still configurable when watching began (lockdown leaves the
   * typed-array prototypes' `constructor` so: locking it would cost V8's species fast paths), and
   * their value, get and set, three per key. Every other own property is non-configurable: it can be
   * neither deleted nor redefined, so an unchanged key count and unchanged loose keys mean nothing
   * changed.
   */
  loose: PropertyKey[];
  looseParts: unknown[];
}

function descriptorPart(d: PropertyDescriptor, part: "value" | "get" | "set"): unknown {
  return ReflectApply(ObjectHasOwn, undefined, [d, part]) === true ? d[part] : undefined;
}

/**
 * Records the prototypes lockdown leaves open, before student code runs: extensible (Object.prototype
 * and Array.prototype, whose own properties are locked) or with a loose `constructor` (the typed
 * arrays' and ArrayBuffer's, closed to additions). A key added there (an index setter on
 * Array.prototype, a toJSON or a getter on Object.prototype) or a replaced constructor reaches every
 * object the harness and the grader's drivers make or read.
 */
function watchIntrinsics(): WatchedPrototype[] {
  const typedProto = ObjectGetPrototypeOf(Int8Array.prototype) as object;
  const list: [object, string][] = [
    [Object.prototype, "Object.prototype"],
    [Array.prototype, "Array.prototype"],
    [typedProto, "%TypedArray%.prototype"],
    [ArrayBuffer.prototype, "ArrayBuffer.prototype"],
    [Int8Array.prototype, "Int8Array.prototype"],
    [Uint8Array.prototype, "Uint8Array.prototype"],
    [Uint8ClampedArray.prototype, "Uint8ClampedArray.prototype"],
    [Int16Array.prototype, "Int16Array.prototype"],
    [Uint16Array.prototype, "Uint16Array.prototype"],
    [Int32Array.prototype, "Int32Array.prototype"],
    [Uint32Array.prototype, "Uint32Array.prototype"],
    [Float32Array.prototype, "Float32Array.prototype"],
    [Float64Array.prototype, "Float64Array.prototype"],
    [BigInt64Array.prototype, "BigInt64Array.prototype"],
    [BigUint64Array.prototype, "BigUint64Array.prototype"],
  ];
  const out: WatchedPrototype[] = [];
  for (const [proto, label] of list) {
    const keys = ReflectOwnKeys(proto);
    const loose: PropertyKey[] = [];
    const looseParts: unknown[] = [];
    for (const key of keys) {
      const d = ObjectGetOwnPropertyDescriptor(proto, key) as PropertyDescriptor;
      if (d.configurable === false) continue;
      loose.push(key);
      looseParts.push(descriptorPart(d, "value"), descriptorPart(d, "get"), descriptorPart(d, "set"));
    }
    out.push({ proto, label, parent: ObjectGetPrototypeOf(proto), keys, closed: !ObjectIsExtensible(proto), loose, looseParts });
  }
  return out;
}

/** What student code changed on a watched prototype ("'x' on Array.prototype"), or null. */
function intrinsicChange(watched: readonly WatchedPrototype[]): string | null {
  // Object.prototype first: until it is known unchanged, reading a descriptor's parts could run a getter.
  for (let w = 0; w < watched.length; w++) {
    const item = watched[w] as WatchedPrototype;
    // A closed prototype keeps its prototype and gains no key; it can only lose a loose one, named below.
    if (!item.closed) {
      if (ObjectGetPrototypeOf(item.proto) !== item.parent) return `the prototype of ${item.label}`;
      const keys = ReflectOwnKeys(item.proto);
      if (keys.length !== item.keys.length) {
        // An addition (a locked key cannot be deleted); or a loose key deleted, named below. Only on
        // this path, so a Set of the original keys is made here, not for every isolate.
        const known = new SetCtor<PropertyKey>(item.keys);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as PropertyKey;
          if (!ReflectApply(SetHas, known, [key])) return `'${clip(StringCtor(key), 60)}' on ${item.label}`;
        }
      }
    }
    const parts = item.looseParts;
    for (let i = 0; i < item.loose.length; i++) {
      const key = item.loose[i] as PropertyKey;
      const d = ObjectGetOwnPropertyDescriptor(item.proto, key);
      if (d === undefined) return `'${clip(StringCtor(key), 60)}' on ${item.label}`;
      // Once Object.prototype is known unchanged (the first item), a part a descriptor lacks (`get` of
      // a data property) reads as undefined without running anything: read directly, without hasOwn.
      const changed = w === 0
        ? descriptorPart(d, "value") !== parts[3 * i] || descriptorPart(d, "get") !== parts[3 * i + 1] || descriptorPart(d, "set") !== parts[3 * i + 2]
        : d.value !== parts[3 * i] || d.get !== parts[3 * i + 1] || d.set !== parts[3 * i + 2];
      if (changed) return `'${clip(StringCtor(key), 60)}' on ${item.label}`;
    }
    // Same count, no new key, every loose key as it was: a locked key cannot have gone.
  }
  return null;
}

function clip(s: string, n: number): string {
  return s.length > n ? ReflectApply(StringSlice, s, [0, n]) + "…" : s;
}

function formatForConsole(v: unknown, depth: number): string {
  try {
    if (typeof v === "string") return depth === 0 ? v : JSONStringify(v);
    if (v === null || typeof v !== "object") return StringCtor(v);
    const parts = tensorParts(v);
    if (parts !== null) {
      const n = MathMin(parts.data.length, 8);
      let vals = "";
      for (let i = 0; i < n; i++) vals += (i > 0 ? ", " : "") + StringCtor(parts.data[i]);
      if (parts.data.length > n) vals += ", …";
      return `tensor([${vals}], shape=[${parts.shape.join(", ")}], dtype=${parts.dtype})`;
    }
    if (depth >= 2) return ArrayIsArray(v) ? "[…]" : "{…}";
    if (ArrayIsArray(v)) {
      const n = MathMin(v.length, 20);
      let s = "[";
      for (let i = 0; i < n; i++) s += (i > 0 ? ", " : "") + formatForConsole(v[i], depth + 1);
      return s + (v.length > n ? ", …]" : "]");
    }
    const keys = ObjectKeys(v);
    const n = MathMin(keys.length, 20);
    let s = "{";
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string;
      s += (i > 0 ? ", " : "") + k + ": " + formatForConsole((v as Record<string, unknown>)[k], depth + 1);
    }
    return s + (keys.length > n ? ", …}" : "}");
  } catch {
    return "[unprintable]";
  }
}

/**
 * The module object students import, built without the withheld implementations.
 *
 * Withholding goes by identity, over everything the student can reach: the whole object graph of
 * the kit (own properties, accessors, [[Prototype]] links, functions' properties), not only its
 * namespaces. Every property anywhere in it that holds a withheld function gets an explaining stub
 * instead, in place, before the student's code exists. A withheld class (nn.Module) loses its
 * methods and static functions the same way: its subclasses (nn.Linear) still construct through it,
 * but Object.getPrototypeOf(nn.Linear.prototype).loadStateDict is the stub, like every other path.
 */
function buildStudentKit(withheld: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ObjectKeys(kit)) {
    if (key === "tensorParts" || key === "fromParts") continue;
    out[key] = (kit as Record<string, unknown>)[key];
  }
  if (withheld.length === 0) return out;
  const spaces: Record<string, unknown> = {
    torch: kit.torch,
    F: kit.F,
    nn: kit.nn,
    "nn.init": (kit.nn as unknown as { init: unknown }).init,
    Tensor: (kit.Tensor as unknown as { prototype: unknown }).prototype,
  };
  /** Each withheld function (and each method of a withheld class) -> the name its stub reports. */
  const names = new Map<unknown, string>();
  const addOwnFunctions = (holder: unknown, label: string): void => {
    if ((typeof holder !== "object" && typeof holder !== "function") || holder === null) return;
    for (const key of ReflectOwnKeys(holder)) {
      if (key === "constructor" || key === "prototype") continue;
      const d = ObjectGetOwnPropertyDescriptor(holder, key);
      if (d === undefined) continue;
      for (const f of [d.value, d.get, d.set]) {
        if (typeof f === "function" && !names.has(f)) names.set(f, `${label}.${StringCtor(key)}`);
      }
    }
  };
  for (const path of withheld) {
    const dot = path.lastIndexOf(".");
    const space = spaces[path.slice(0, dot)] as Record<string, unknown> | undefined;
    const value = space?.[path.slice(dot + 1)];
    if (typeof value !== "function") continue;
    if (!names.has(value)) names.set(value, path);
    // A class: its methods, accessors and static functions are the implementation withheld with it.
    const proto = (value as { prototype?: unknown }).prototype;
    if (typeof proto === "object" && proto !== null) addOwnFunctions(proto, path);
    addOwnFunctions(value, path);
  }
  const stubs = new Map<unknown, unknown>();
  const stubFor = (original: unknown): unknown => {
    const found = stubs.get(original);
    if (found !== undefined) return found;
    const name = names.get(original) ?? "this function";
    const stub = function withheldEntry(): never {
      throw new KitError(
        `${name} is withheld in this exercise: write it yourself with the other kit operations`,
        `${name} はこの演習では使えません。他のキットの演算を使って自分で実装してください`,
      );
    };
    stubs.set(original, stub);
    return stub;
  };
  // A withheld class that other kit classes extend (nn.Module under nn.Linear) is replaced as their
  // [[Prototype]] by a base that constructs through it from a closure: super() still works, and
  // the class itself is reachable from nowhere.
  const bases = new Map<unknown, unknown>();
  const baseFor = (original: unknown): unknown => {
    const found = bases.get(original);
    if (found !== undefined) return found;
    const stub = stubFor(original) as () => never;
    const base = function withheldBase(this: unknown, ...args: unknown[]): unknown {
      if (new.target === undefined) return stub();
      return ReflectConstruct(original as new (...a: unknown[]) => unknown, args, new.target);
    };
    ObjectDefineProperty(base, "prototype", { value: (original as { prototype: unknown }).prototype, writable: false });
    bases.set(original, base);
    return base;
  };
  // The intrinsics hold nothing of the kit: the walk stops there (they are locked down separately).
  const stopAt = new SetCtor<unknown>([Object.prototype, Function.prototype, Array.prototype, Error.prototype, globalThis]);
  const visited = new SetCtor<unknown>();
  const pending: unknown[] = [out];
  while (pending.length > 0) {
    const holder = pending.pop();
    if ((typeof holder !== "object" && typeof holder !== "function") || holder === null) continue;
    if (ReflectApply(SetHas, visited, [holder]) || ReflectApply(SetHas, stopAt, [holder])) continue;
    ReflectApply(SetAdd, visited, [holder]);
    if (ArrayBufferIsView(holder)) continue;
    for (const key of ReflectOwnKeys(holder)) {
      const d = ObjectGetOwnPropertyDescriptor(holder, key);
      if (d === undefined) continue;
      if ("value" in d) {
        if (names.has(d.value)) {
          if (d.configurable === true || d.writable === true) ObjectDefineProperty(holder, key, { ...d, value: stubFor(d.value) });
          else throw new Error(`internal: cannot withhold ${names.get(d.value)}: a non-writable property holds it`);
          continue;
        }
        pending.push(d.value);
      } else {
        const get = d.get !== undefined && names.has(d.get) ? stubFor(d.get) : d.get;
        const set = d.set !== undefined && names.has(d.set) ? stubFor(d.set) : d.set;
        if (get !== d.get || set !== d.set) {
          if (d.configurable !== true) throw new Error(`internal: cannot withhold an accessor of ${StringCtor(key)}`);
          ObjectDefineProperty(holder, key, { ...d, get, set } as PropertyDescriptor);
        }
        pending.push(get, set);
      }
    }
    const proto: unknown = ObjectGetPrototypeOf(holder);
    if (names.has(proto)) {
      const base = baseFor(proto);
      ObjectSetPrototypeOf(holder, base as object);
      pending.push(base);
    } else {
      pending.push(proto);
    }
  }
  return out;
}

const INTRINSICS = [
  "Object", "Function", "Array", "Number", "String", "Boolean", "Symbol", "BigInt", "Math", "JSON",
  "Reflect", "Proxy", "Promise", "Map", "Set", "WeakMap", "WeakSet", "WeakRef",
  "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError",
  "AggregateError", "Date", "RegExp", "ArrayBuffer", "DataView", "Float32Array", "Float64Array",
  "Int8Array", "Int16Array", "Int32Array", "Uint8Array", "Uint8ClampedArray", "Uint16Array",
  "Uint32Array", "BigInt64Array", "BigUint64Array", "Intl",
];

/**
 * Freezing a prototype makes its data properties non-writable, and then `this.name = ...` in an
 * Error subclass (or `obj.toString = ...`) throws in strict mode: the "override mistake". As SES
 * does, such properties become accessors whose setter defines an own property on the instance.
 */
function enableOverride(proto: object, prop: string): void {
  const d = ObjectGetOwnPropertyDescriptor(proto, prop);
  if (d === undefined || !("value" in d) || !d.configurable) return;
  const value: unknown = d.value;
  ObjectDefineProperty(proto, prop, {
    get() {
      return value;
    },
    set(this: object, v: unknown) {
      if (this === proto) throw new TypeError(`Cannot assign to read only property '${prop}' of a frozen prototype`);
      ObjectDefineProperty(this, prop, { value: v, writable: true, enumerable: true, configurable: true });
    },
    enumerable: d.enumerable === true,
    configurable: false,
  });
}

const OVERRIDABLE: [string, string[]][] = [
  ["Object", ["toString", "valueOf", "toLocaleString", "constructor"]],
  ["Function", ["toString", "name"]],
  ["Error", ["name", "message", "toString", "constructor"]],
  ["TypeError", ["name", "message", "constructor"]],
  ["RangeError", ["name", "message", "constructor"]],
  ["SyntaxError", ["name", "message", "constructor"]],
  ["ReferenceError", ["name", "message", "constructor"]],
  ["EvalError", ["name", "message", "constructor"]],
  ["URIError", ["name", "message", "constructor"]],
  ["AggregateError", ["name", "message", "constructor"]],
];

/** What lockdown did: the plan it recorded, and for an audit the objects not as the walk leaves them. */
export interface LockdownReport {
  plan: LockdownPlan | null;
  replayed: boolean;
  /** The student kit's walk (see BootOptions.lockdown's `kit`): recorded, and whether a kit plan was replayed. */
  kitPlan: LockdownPlan | null;
  kitReplayed: boolean;
  mismatches: string[];
}

const FREEZE = 0;
const LOCK = 1;
const LOCK_BUT_CONSTRUCTOR = 2;
const ROOT = 0;
const PROPERTY = 1;
const PROTOTYPE = 2;

/**
 * Freezes the intrinsics and everything reachable from the student kit (SES-style lockdown),
 * with exceptions measured to matter for speed: making Object.prototype or Array.prototype
 * non-extensible invalidates V8's "no elements" protector and slows every typed-array write
 * about tenfold, so those two prototypes only get their existing properties locked. The
 * typed-array prototypes and ArrayBuffer.prototype get their existing properties locked except
 * `constructor` (redefining it invalidates V8's species protector; an earlier stop measured touching
 * them about threefold slower, and locking all but `constructor` measured no slower), and are made
 * non-extensible (no protector watches that: measured no slower, and it spares the check after every
 * call a key count of 13 prototypes, ~50 us of a cold isolate's time per call). What is left open
 * (additions to Object.prototype and Array.prototype, and `constructor`) is watched before and after
 * every call (watchIntrinsics). The harness captured what it uses before any student code ran, and
 * results are compared on the host.
 */
function lockdown(studentKit: Record<string, unknown>, how: BootOptions["lockdown"]): LockdownReport {
  let seen = new SetCtor<unknown>();
  const typedProto = ObjectGetPrototypeOf(Int8Array) as { prototype: object };
  const typedPrototypes = new SetCtor<unknown>([
    typedProto.prototype,
    ArrayBuffer.prototype,
    Int8Array.prototype, Uint8Array.prototype, Uint8ClampedArray.prototype, Int16Array.prototype,
    Uint16Array.prototype, Int32Array.prototype, Uint32Array.prototype, Float32Array.prototype,
    Float64Array.prototype, BigInt64Array.prototype, BigUint64Array.prototype,
  ]);
  const lockedOnly = new SetCtor<unknown>([Object.prototype, Array.prototype]);
  const lockProperties = (o: object, except?: PropertyKey): void => {
    for (const key of ReflectOwnKeys(o)) {
      if (key === except) continue;
      const d = ObjectGetOwnPropertyDescriptor(o, key);
      if (d === undefined || !d.configurable) continue;
      ObjectDefineProperty(o, key, "value" in d ? { ...d, writable: false, configurable: false } : { ...d, configurable: false });
    }
  };
  const actionOf = (v: unknown): number =>
    ReflectApply(SetHas, typedPrototypes, [v]) ? LOCK_BUT_CONSTRUCTOR : ReflectApply(SetHas, lockedOnly, [v]) ? LOCK : FREEZE;
  const apply = (v: object, action: number): void => {
    if (action === LOCK_BUT_CONSTRUCTOR) {
      lockProperties(v, "constructor");
      ObjectPreventExtensions(v);
    }
    else if (action === LOCK) lockProperties(v);
    else ObjectFreeze(v);
  };
  /**
   * Whether v is as `apply(v, action)` leaves it (the audit): frozen, or every own property (but
   * `constructor`) non-configurable (those that were configurable were also made read-only; one that
   * was already non-configurable, such as Array.prototype.length, is left as V8 made it).
   */
  const applied = (v: object, action: number): boolean => {
    if (action === FREEZE) return ObjectIsFrozen(v);
    if (action === LOCK_BUT_CONSTRUCTOR && ObjectIsExtensible(v)) return false;
    for (const key of ReflectOwnKeys(v)) {
      if (action === LOCK_BUT_CONSTRUCTOR && key === "constructor") continue;
      const d = ObjectGetOwnPropertyDescriptor(v, key);
      if (d === undefined || d.configurable !== false) return false;
    }
    return true;
  };
  // Both apply to the walk of the intrinsics only: the student kit (which depends on the withheld
  // entries) is always walked, after them.
  let recording = how?.mode === "record" ? { keys: [] as string[], keyIndex: new MapCtor<string, number>(), ops: [] as number[] } : null;
  const mismatches: string[] = [];
  let auditing = how?.mode === "audit";
  /** The walk: every object reachable through data properties and prototypes, to depth 6. */
  const freezeDeep = (v: unknown, depth: number, via: number, from: number, key: string | null): void => {
    if ((typeof v !== "object" && typeof v !== "function") || v === null) return;
    if (ReflectApply(SetHas, seen, [v]) || depth > 6) return;
    ReflectApply(SetAdd, seen, [v]);
    const action = actionOf(v);
    const index = recording === null ? -1 : recording.ops.length / 4;
    if (recording !== null) {
      let k = -1;
      if (key !== null) {
        k = (recording.keyIndex.get(key) as number | undefined) ?? -1;
        if (k < 0) {
          k = recording.keys.length;
          recording.keys.push(key);
          recording.keyIndex.set(key, k);
        }
      }
      recording.ops.push(via, from, k, action);
    }
    if (auditing) {
      if (!applied(v, action) && mismatches.length < 20) mismatches.push(`${key ?? "[[Prototype]]"} (${action})`);
    } else {
      apply(v, action);
    }
    if (action === LOCK_BUT_CONSTRUCTOR) return;
    for (const name of ObjectGetOwnPropertyNames(v)) {
      const d = ObjectGetOwnPropertyDescriptor(v, name);
      if (d === undefined) continue;
      if ("value" in d) freezeDeep(d.value, depth + 1, PROPERTY, index, name);
    }
    freezeDeep(ObjectGetPrototypeOf(v), depth + 1, PROTOTYPE, index, null);
  };
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [ctor, props] of OVERRIDABLE) {
    const proto = (g[ctor] as { prototype?: object } | undefined)?.prototype;
    if (proto !== undefined) for (const prop of props) enableOverride(proto, prop);
  }
  // The walk's roots, in its order; the same list in every isolate.
  const roots: unknown[] = [];
  for (const name of INTRINSICS) {
    const c = g[name];
    if (c === undefined) continue;
    roots.push(c);
    if (typeof c === "function") roots.push((c as { prototype?: unknown }).prototype);
  }
  roots.push(ObjectGetPrototypeOf(Int8Array), ObjectGetPrototypeOf(function* () {}), ObjectGetPrototypeOf([][Symbol.iterator]()));

  let replayed = false;
  if (how !== undefined && how.mode !== "record") replayed = replay(how.plan, roots, seen, apply);
  if (!replayed || auditing) {
    // The walk: without a plan or when the plan did not fit (from the start: what the replay froze
    // is frozen again, no harm), and after a replay for the audit (which changes nothing).
    seen = new SetCtor<unknown>();
    for (let i = 0; i < roots.length; i++) freezeDeep(roots[i], 0, ROOT, i, null);
  }
  for (const name of INTRINSICS) {
    // The global bindings too: a grader-owned driver bundled with the submission reads `JSON`,
    // `Object` or `Reflect` through the global object, after the student's top level ran.
    const d = ObjectGetOwnPropertyDescriptor(g, name);
    if (d !== undefined && d.configurable === true && "value" in d) ObjectDefineProperty(g, name, { value: d.value, writable: false, enumerable: d.enumerable === true, configurable: false });
  }
  const plan = recording === null ? null : { keys: recording.keys, ops: recording.ops };
  // The student kit, after the intrinsics (what they reached is not walked again): replayed from its
  // own plan when there is one that fits, else walked (and recorded, for `record`); an audit replays,
  // then walks from what the intrinsics reached to check every kit object.
  const kit = how !== undefined && how.mode !== "record" ? how.kit : undefined;
  const reachedByIntrinsics = auditing ? new SetCtor<unknown>(seen) : null;
  const kitReplayed = kit !== undefined && replay(kit, [studentKit], seen, apply);
  recording = how?.mode === "record" ? { keys: [] as string[], keyIndex: new MapCtor<string, number>(), ops: [] as number[] } : null;
  auditing = reachedByIntrinsics !== null && kitReplayed;
  if (!kitReplayed || auditing) {
    if (reachedByIntrinsics !== null) seen = reachedByIntrinsics;
    freezeDeep(studentKit, 0, ROOT, 0, null);
  }
  const kitPlan = recording === null ? null : { keys: recording.keys, ops: recording.ops };
  recording = null;
  auditing = false;
  void MathFloor;
  return { plan, replayed, kitPlan, kitReplayed, mismatches };
}

/**
 * Freezes the objects of a recorded plan (see LockdownPlan), adding each to `seen`. Returns false,
 * having changed what it had reached (freezing is what the walk does too, so the walk after it
 * leaves the same state), when the plan does not fit this isolate: an object is not where the plan
 * says.
 */
function replay(packed: PackedLockdownPlan, roots: readonly unknown[], seen: Set<unknown>, apply: (v: object, action: number) => void): boolean {
  const ops = packed.ops;
  const keys = ReflectApply(StringSplit, packed.keys, ["\0"]) as string[];
  const n = ops.length / 4;
  if (!NumberIsInteger(n)) return false;
  const objects: object[] = [];
  for (let i = 0; i < n; i++) {
    const via = ops[4 * i] as number;
    const from = ops[4 * i + 1] as number;
    let v: unknown;
    if (via === ROOT) {
      v = roots[from];
    } else {
      const parent = objects[from];
      if (parent === undefined) return false;
      if (via === PROTOTYPE) {
        v = ObjectGetPrototypeOf(parent);
      } else {
        // Before any student code: an own data property, read without consulting getters.
        const d = ObjectGetOwnPropertyDescriptor(parent, keys[ops[4 * i + 2] as number] as string);
        if (d === undefined || !("value" in d)) return false;
        v = d.value;
      }
    }
    if ((typeof v !== "object" && typeof v !== "function") || v === null) return false;
    objects.push(v);
    ReflectApply(SetAdd, seen, [v]);
    apply(v, ops[4 * i + 3] as number);
  }
  return true;
}
