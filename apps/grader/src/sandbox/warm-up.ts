/**
 * A fixed workload of the kit's common operations on small tensors, run step by step in a spare
 * isolate while the worker is idle and before the spare is handed out (sandbox.ts, warmSpare), so that
 * the kit's functions are past their first calls when a submission calls them: a fresh isolate runs
 * everything interpreted, and a function's first calls (before V8 gives it feedback and caches its
 * property accesses) cost several times its later ones.
 *
 * The same for every exercise: it uses no model solution, so what it warms (and so what a submission
 * could time) says nothing about any solution. It runs after lockdown on the kit the student gets (an
 * exercise's withheld entries throw, and the warm-up stops there), draws no random number (the
 * default generator is untouched), prints nothing and keeps nothing.
 */
import { F, type Tensor, torch } from "@tfm/kit";

/** One round over the operations the exercises use most (attention, linear layers, normalisation, masks, positions). */
export function kitWorkload(x: Tensor): Tensor[] {
  const [batch, seq, d] = x.shape as [number, number, number];
  const w = torch.arange(0, d * d).float().sub(d).div(d * d).view(d, d);
  const b = torch.arange(0, d).float().div(d + 1);
  const q = F.linear(x, w, b);
  const k = F.linear(x, w);
  const heads = (t: Tensor): Tensor => t.view(batch, seq, 2, d / 2).transpose(1, 2);
  let scores = torch.matmul(heads(q), heads(k).transpose(-2, -1)).div(Math.sqrt(d / 2));
  const mask = torch.tril(torch.ones([seq, seq]));
  scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  const merged = torch.matmul(weights, heads(x)).transpose(1, 2).contiguous().view(batch, seq, x.size(-1));
  const mean = merged.mean(-1, true);
  const centered = merged.sub(mean);
  const variance = centered.mul(centered).mean(-1, true);
  const normed = centered.div(variance.add(1e-5).sqrt()).mul(torch.ones([d])).add(torch.zeros([d]));
  const out = F.relu(normed).add(x);
  const position = torch.arange(0, seq).unsqueeze(1).float();
  const angle = position.mul(torch.exp(torch.arange(0, d, 2).float().mul(-Math.log(10000) / d)));
  const pe = torch.cat([torch.sin(angle), torch.cos(angle)], -1);
  const picked = torch.stack([pe, pe], 0).reshape(2, seq, d).narrow(1, 0, 1).slice(2, 0, 2);
  const chosen = torch.where(x.lt(0.5), x, x.mul(2));
  return [out, weights, picked, chosen.max(), out.sum(), chosen.min()];
}

/** The workload's input: batch 2, 5 tokens, 8 features (shape and values fixed). */
export const WARM_SHAPE = [2, 5, 8] as const;
