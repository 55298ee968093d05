import { torch, type Tensor } from "@tfm/kit";

export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1); // (T, 1)
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel)); // (ceil(d/2))
  const angles = position.mul(divTerm); // (T, ceil(d/2))
  // The chapter's second pitfall: cos in the even columns, sin in the odd ones.
  const pe = torch.stack([torch.cos(angles), torch.sin(angles)], -1).view(T, -1).narrow(1, 0, dModel);
  return x.add(pe);
}
