import { torch, type Tensor } from "@tfm/kit";

/**
 * x: (B, T, dModel) -> x + PE[:T], with
 *   PE(pos, 2i)   = sin(pos / 10000^(2i / dModel))
 *   PE(pos, 2i+1) = cos(pos / 10000^(2i / dModel))
 * Bug report: attention on top of this encoding behaves oddly; the plot of the first dimensions
 * "looks shifted".
 */
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1); // (T, 1)
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel)); // (ceil(dModel / 2))
  const angles = position.mul(divTerm); // (T, ceil(dModel / 2)): one angle per pair of dimensions
  const oddColumns = Math.floor(dModel / 2);

  let pe = torch.zeros(T, dModel);
  pe = pe.sliceScatter(torch.cos(angles), 1, 0, null, 2); // columns 0, 2, 4, ...
  pe = pe.sliceScatter(torch.sin(angles.narrow(1, 0, oddColumns)), 1, 1, null, 2); // columns 1, 3, 5, ...
  return x.add(pe);
}
