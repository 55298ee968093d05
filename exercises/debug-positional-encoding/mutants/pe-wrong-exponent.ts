import { torch, type Tensor } from "@tfm/kit";

// A partial fix: sin and cos are in the right columns, but the odd columns compute their frequency
// from their own index (1, 3, 5, ...) instead of sharing the angle of their pair.
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1);
  const freq = (cols: Tensor): Tensor => torch.exp(cols.float().mul(-Math.log(10000) / dModel));
  let pe = torch.zeros(T, dModel);
  pe = pe.sliceScatter(torch.sin(position.mul(freq(torch.arange(0, dModel, 2)))), 1, 0, null, 2);
  pe = pe.sliceScatter(torch.cos(position.mul(freq(torch.arange(1, dModel, 2)))), 1, 1, null, 2);
  return x.add(pe);
}
