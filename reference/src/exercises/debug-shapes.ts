import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { CORRECT_ATTENTION } from "../attention.ts";
import { type MultiHeadOptions, CORRECT_MULTI_HEAD, multiHeadTf } from "../multi-head-tf.ts";
import { compute, intArg, optionalTf, toTf } from "../wire-tf.ts";

// view-non-contiguous has no variant: that mistake throws instead of returning a value, and the
// spec's shape invariant recognises the error it throws.
const run = (opts: MultiHeadOptions) => (args: readonly WireValue[]): WireValue =>
  compute(() => multiHeadTf(toTf(args[0]), args[1], intArg(args[2], "numHeads"), optionalTf(args[3]), opts));

export default defineReference({
  expected: run(CORRECT_MULTI_HEAD),
  variants: {
    "heads-not-transposed-back": run({ split: "view-transpose", merge: "view-only", attention: CORRECT_ATTENTION }),
    "wrong-head-split": run({ split: "view-only", merge: "view-only", attention: CORRECT_ATTENTION }),
  },
});
