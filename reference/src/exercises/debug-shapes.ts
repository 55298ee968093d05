import type { WireValue } from "@tfm/contract";
import { defineReference, expectThrow } from "@tfm/spec";
import { CORRECT_ATTENTION } from "../attention.ts";
import { type MultiHeadOptions, CORRECT_MULTI_HEAD, multiHeadTf } from "../multi-head-tf.ts";
import { compute, intArg, optionalTf, toTf } from "../wire-tf.ts";

const run = (opts: MultiHeadOptions) => (args: readonly WireValue[]): Promise<WireValue> =>
  compute(() => multiHeadTf(toTf(args[0]), args[1], intArg(args[2], "numHeads"), optionalTf(args[3]), opts));

export default defineReference({
  expected: run(CORRECT_MULTI_HEAD),
  variants: {
    "heads-not-transposed-back": run({ split: "view-transpose", merge: "view-only", attention: CORRECT_ATTENTION }),
    "wrong-head-split": run({ split: "view-only", merge: "view-only", attention: CORRECT_ATTENTION }),
    "missing-scale": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, scale: false } }),
    "mask-inverted": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, maskHides: 1 } }),
    "fully-masked-nan": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, fill: -Infinity } }),
    "mask-after-softmax": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, maskMode: "after-softmax" } }),
    "mask-multiplied": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, maskMode: "multiplied" } }),
    "softmax-wrong-axis": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, softmaxAxis: -2 } }),
    "softmax-overflow": run({ ...CORRECT_MULTI_HEAD, attention: { ...CORRECT_ATTENTION, stable: false } }),
    // This mistake returns nothing: view() throws on the transposed heads.
    "view-non-contiguous": () =>
      expectThrow("view size is not compatible|not contiguous", {
        ja: "transpose 直後の連続でないテンソルに view を使うとエラーになります",
        en: "view() on the non-contiguous tensor left by transpose() throws",
      }),
  },
});
