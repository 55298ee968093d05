import { torch, type Tensor } from "@tfm/kit";

export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1); // (T, 1)
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel)); // (ceil(dModel / 2))
  const angles = position.mul(divTerm); // (T, ceil(dModel / 2))
  const oddColumns = Math.floor(dModel / 2);

  let pe = torch.zeros(T, dModel);
  // Even columns take sin, odd columns cos of the same angle; an odd dModel ends on a sin column.
  pe = pe.sliceScatter(torch.sin(angles), 1, 0, null, 2);
  pe = pe.sliceScatter(torch.cos(angles.narrow(1, 0, oddColumns)), 1, 1, null, 2);
  return x.add(pe);
}
