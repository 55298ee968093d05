import { torch, type Tensor } from "@tfm/kit";

// Gives every dimension j its own frequency 1/10000^(j/d) instead of sharing 1/10000^(2i/d) per pair.
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1);
  const divTerm = torch.exp(torch.arange(0, dModel).float().mul(-Math.log(10000) / dModel)); // (d)
  const angles = position.mul(divTerm); // (T, d)
  const even = torch.tensor(Array.from({ length: dModel }, (_, j) => j % 2 === 0));
  const pe = torch.where(even, torch.sin(angles), torch.cos(angles));
  return x.add(pe);
}
