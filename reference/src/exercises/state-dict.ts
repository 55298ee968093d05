import { type WireTensor, type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import { defineReference, expectThrow } from "@tfm/spec";

/**
 * What the starter's runCheckpoint driver returns for a correct stateDict / loadStateDict, in plain
 * TypeScript (no numerics: values are only copied). The driver:
 *   saved = stateDict(model); model.* <- AFTER_SAVE; apply edits to saved;
 *   loadStateDict(target, saved, strict); saved.* <- AFTER_LOAD;
 *   return { params: target, savedKeys, missingKeys, unexpectedKeys }.
 */

/** Written into the model's tensors after the save (the driver's "training goes on"). */
const AFTER_SAVE = 1_000_000;
/** Written into the checkpoint's tensors after the load (the driver's "the dict is reused"). */
const AFTER_LOAD = -1_000_000;

type Tensors = Record<string, WireTensor>;

function tensorsArg(v: WireValue | undefined, what: string): Tensors {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v) || isWireTensor(v)) throw new Error(`reference: ${what} must be an object of tensors`);
  const out: Tensors = {};
  for (const [k, t] of Object.entries(v)) {
    if (!isWireTensor(t)) throw new Error(`reference: ${what}.${k} must be a tensor`);
    out[k] = t;
  }
  return out;
}

interface Scenario {
  model: Tensors;
  target: Tensors;
  edits: Record<string, WireTensor | null>;
  strict: boolean;
}

function scenario(args: readonly WireValue[]): Scenario {
  const editsArg = args[2];
  if (editsArg === null || editsArg === undefined || typeof editsArg !== "object" || Array.isArray(editsArg) || isWireTensor(editsArg)) {
    throw new Error("reference: edits must be an object");
  }
  const edits: Record<string, WireTensor | null> = {};
  for (const [k, v] of Object.entries(editsArg)) {
    if (v !== null && !isWireTensor(v)) throw new Error(`reference: edits.${k} must be a tensor or null`);
    edits[k] = v;
  }
  if (typeof args[3] !== "boolean") throw new Error("reference: strict must be a boolean");
  return { model: tensorsArg(args[0], "model"), target: tensorsArg(args[1], "target"), edits, strict: args[3] };
}

const sameShape = (a: WireTensor, b: WireTensor): boolean =>
  a.$tensor.shape.length === b.$tensor.shape.length && a.$tensor.shape.every((d, i) => d === b.$tensor.shape[i]);

const copy = (t: WireTensor): WireTensor => wireTensor(t.$tensor.dtype, t.$tensor.shape, t.$tensor.data.slice());
const filled = (t: WireTensor, v: number): WireTensor => {
  const c = copy(t);
  c.$tensor.data.fill(v);
  return c;
};

/** The saved dict after the edits; `fromModel` holds the keys whose tensors came from the model. */
function savedAfterEdits(s: Scenario): { saved: Tensors; fromModel: Set<string> } {
  const saved: Tensors = {};
  const fromModel = new Set<string>();
  for (const [k, t] of Object.entries(s.model)) {
    saved[k] = copy(t);
    fromModel.add(k);
  }
  for (const [k, v] of Object.entries(s.edits)) {
    fromModel.delete(k);
    if (v === null) delete saved[k];
    else saved[k] = copy(v);
  }
  return { saved, fromModel };
}

const quoteKeys = (keys: readonly string[]): string => keys.map((k) => `"${k}"`).join(", ");
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const lookahead = (s: string): string => `(?=[\\s\\S]*${s})`;

type Mistake = "none" | "state-dict-save-aliasing" | "state-dict-load-aliasing" | "state-dict-key-order" | "state-dict-missing-keys-ignored";

function run(args: readonly WireValue[], mistake: Mistake): WireValue {
  const s = scenario(args);
  const { saved, fromModel } = savedAfterEdits(s);
  const targetKeys = Object.keys(s.target);
  const savedKeys = Object.keys(saved);
  const missing = targetKeys.filter((k) => !(k in saved));
  const unexpected = savedKeys.filter((k) => !(k in s.target));
  const mismatched = targetKeys.filter((k) => {
    const src = saved[k];
    return src !== undefined && !sameShape(src, s.target[k] as WireTensor);
  });

  const problems: string[] = [];
  const ja: string[] = [];
  if (s.strict && missing.length > 0) {
    problems.push(lookahead("missing key\\(s\\) in state_dict"), ...missing.map((k) => lookahead(escapeRegex(k))));
    ja.push(`不足キー ${quoteKeys(missing)} ("Missing key(s) in state_dict")`);
  }
  if (s.strict && unexpected.length > 0) {
    problems.push(lookahead("unexpected key\\(s\\) in state_dict"), ...unexpected.map((k) => lookahead(escapeRegex(k))));
    ja.push(`予期しないキー ${quoteKeys(unexpected)} ("Unexpected key(s) in state_dict")`);
  }
  for (const k of mismatched) {
    problems.push(lookahead(`size mismatch for ["']?${escapeRegex(k)}`));
    const from = (saved[k] as WireTensor).$tensor.shape;
    const to = (s.target[k] as WireTensor).$tensor.shape;
    // "PyTorch adds both shapes; do so too": each shape's sizes in order, in any notation ([4, 3], (4, 3), torch.Size([4, 3])).
    for (const shape of [from, to]) if (shape.length > 0) problems.push(lookahead(`\\b${shape.join("\\D{1,4}")}\\b`));
    ja.push(`形状の不一致 "size mismatch for ${k}" (チェックポイント [${from.join(", ")}]、モデル [${to.join(", ")}])`);
  }
  if (problems.length > 0 && mistake === "none") {
    return expectThrow(`^${problems.join("")}`, {
      ja: `読み込めないので Error を投げる必要があります。メッセージに含めるもの: ${ja.join("、")}`,
      en: `this load must throw an Error whose message reports ${[
        s.strict && missing.length > 0 ? `"Missing key(s) in state_dict" with ${quoteKeys(missing)}` : "",
        s.strict && unexpected.length > 0 ? `"Unexpected key(s) in state_dict" with ${quoteKeys(unexpected)}` : "",
        ...mismatched.map((k) => `"size mismatch for ${k}" with both shapes ([${(saved[k] as WireTensor).$tensor.shape.join(", ")}] and [${(s.target[k] as WireTensor).$tensor.shape.join(", ")}])`),
      ].filter((x) => x !== "").join(" and ")}`,
    });
  }
  if (problems.length > 0) return null;

  const values = Object.values(saved);
  const params: Tensors = {};
  targetKeys.forEach((k, i) => {
    const src = mistake === "state-dict-key-order" ? values[i] : saved[k];
    if (src === undefined || !sameShape(src, s.target[k] as WireTensor)) {
      params[k] = copy(s.target[k] as WireTensor);
    } else if (mistake === "state-dict-save-aliasing" && fromModel.has(k)) {
      params[k] = filled(src, AFTER_SAVE);
    } else if (mistake === "state-dict-load-aliasing") {
      params[k] = filled(src, AFTER_LOAD);
    } else {
      params[k] = copy(src);
    }
  });
  return {
    params,
    savedKeys: Object.keys(s.model),
    missingKeys: mistake === "state-dict-missing-keys-ignored" ? [] : missing,
    unexpectedKeys: unexpected,
  };
}

const variant = (mistake: Mistake) => (args: readonly WireValue[]) => run(args, mistake);

export default defineReference({
  expected: variant("none"),
  // state-dict-shape-unchecked only shows on loads that must throw, where no returned value is
  // compared: the invariant sd-inv-shape-checked names it.
  variants: {
    "state-dict-save-aliasing": variant("state-dict-save-aliasing"),
    "state-dict-load-aliasing": variant("state-dict-load-aliasing"),
    "state-dict-key-order": variant("state-dict-key-order"),
    "state-dict-missing-keys-ignored": variant("state-dict-missing-keys-ignored"),
  },
});
