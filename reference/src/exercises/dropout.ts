import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { kitRand } from "../kit-rng.ts";
import { compute, intArg, toTf } from "../wire-tf.ts";

type Mistake = "none" | "dropout-not-inverted" | "dropout-active-in-eval" | "dropout-mask-inverted" | "dropout-scale-by-p" | "seed-hard-coded";

function probability(v: WireValue | undefined): number {
  if (typeof v !== "number") throw new Error("reference: p must be a number");
  return v;
}

/**
 * The statement's convention: u = torch.rand(x.shape, { generator: new torch.Generator().manualSeed(seed) }),
 * drawn once in row-major order (reproduced by kitRand), keep where u >= p, kept values x / (1 - p);
 * evaluation mode returns x. The arithmetic runs in TensorFlow.js, the uniforms on the host.
 */
function dropout(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  const p = probability(args[1]);
  const training = args[2] === true;
  // The hard-coded-seed mistake draws from a fixed seed (the chapter's 42) whatever it is given.
  const seed = mistake === "seed-hard-coded" ? 42 : intArg(args[3], "seed");
  return compute(() => {
    const x = toTf(args[0]);
    if (!training && mistake !== "dropout-active-in-eval") return tf.clone(x);
    // The comparison with p runs on the host in float64, like the kit's u.ge(p) with a number p.
    const u = kitRand(seed, x.size);
    const keepMask = Uint8Array.from(u, (v) => ((mistake === "dropout-mask-inverted" ? v < p : v >= p) ? 1 : 0));
    const keep = tf.tensor(keepMask, x.shape, "bool");
    const kept = mistake === "dropout-not-inverted" ? x : tf.div(x, mistake === "dropout-scale-by-p" ? p : 1 - p);
    return tf.where(keep, kept, tf.zerosLike(x));
  });
}

export default defineReference({
  expected: (args) => dropout(args, "none"),
  variants: {
    "dropout-not-inverted": (args) => dropout(args, "dropout-not-inverted"),
    "dropout-active-in-eval": (args) => dropout(args, "dropout-active-in-eval"),
    "dropout-mask-inverted": (args) => dropout(args, "dropout-mask-inverted"),
    "dropout-scale-by-p": (args) => dropout(args, "dropout-scale-by-p"),
    "seed-hard-coded": (args) => dropout(args, "seed-hard-coded"),
  },
});
