/**
 * F (torch.nn.functional). A plain object so that the grader can withhold any entry; every
 * entry calls an internal kernel.
 */
import type { Tensor } from "./tensor.ts";
import { unary } from "./ops-elementwise.ts";
import { linear as linearImpl } from "./matmul.ts";
import {
  dropout as dropoutImpl, embedding as embeddingImpl, layerNorm as layerNormImpl,
  logSoftmax as logSoftmaxImpl, pad as padImpl, softmax as softmaxImpl,
} from "./kernels-nn.ts";
import type { Generator } from "./random.ts";

export const F = {
  /** Softmax along dim (numerically stable). */
  softmax(x: Tensor, dim: number): Tensor {
    return softmaxImpl(x, dim);
  },
  logSoftmax(x: Tensor, dim: number): Tensor {
    return logSoftmaxImpl(x, dim);
  },
  relu(x: Tensor): Tensor {
    return unary("relu", x);
  },
  /** GELU, exact erf form: 0.5 x (1 + erf(x / sqrt 2)). */
  gelu(x: Tensor): Tensor {
    return unary("gelu", x);
  },
  /** x Wᵀ + b with weight [out, in]. */
  linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
    return linearImpl(x, weight, bias);
  },
  /** weight[ids]: output shape ids.shape + [embedding_dim]. */
  embedding(ids: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
    return embeddingImpl(ids, weight, paddingIdx);
  },
  layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
    return layerNormImpl(x, normalizedShape, weight, bias, eps);
  },
  /** Inverted dropout: keep where random() >= p, scale by 1/(1-p). */
  dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
    return dropoutImpl(x, p, training, generator);
  },
  /** Constant padding: pad = [left, right, top, bottom, ...] for the last dims first. */
  pad(x: Tensor, pad: readonly number[], modeOrValue?: "constant" | number, value?: number): Tensor {
    return padImpl(x, pad, modeOrValue, value);
  },
};
