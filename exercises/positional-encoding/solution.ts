import { torch, type Tensor } from "@tfm/kit";

export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1); // (T, 1)
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel)); // (ceil(d/2))
  const angles = position.mul(divTerm); // (T, ceil(d/2))
  // Interleave: column 2i is sin, column 2i+1 is cos; drop the last cos when dModel is odd.
  const pe = torch.stack([torch.sin(angles), torch.cos(angles)], -1).view(T, -1).narrow(1, 0, dModel);
  return x.add(pe);
}
