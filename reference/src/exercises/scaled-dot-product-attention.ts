import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { compute, optionalTf, toTf } from "../wire-tf.ts";

const run = (opts: AttentionOptions) => (args: readonly WireValue[]) =>
  compute(() => attentionTf(toTf(args[0]), toTf(args[1]), toTf(args[2]), optionalTf(args[3]), opts));

export default defineReference({
  expected: run(CORRECT_ATTENTION),
  variants: {
    "mask-inverted": run({ ...CORRECT_ATTENTION, maskHides: 1 }),
    "missing-scale": run({ ...CORRECT_ATTENTION, scale: false }),
    "softmax-wrong-axis": run({ ...CORRECT_ATTENTION, softmaxAxis: -2 }),
    "fully-masked-nan": run({ ...CORRECT_ATTENTION, fill: -Infinity }),
    "mask-after-softmax": run({ ...CORRECT_ATTENTION, maskMode: "after-softmax" }),
    "mask-multiplied": run({ ...CORRECT_ATTENTION, maskMode: "multiplied" }),
    "softmax-overflow": run({ ...CORRECT_ATTENTION, stable: false }),
  },
});
