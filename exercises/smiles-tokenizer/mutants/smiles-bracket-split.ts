// Knows Br, Cl and %NN but not bracket atoms: "[C@@H]" falls apart into "[", "C", "@", "@", "H", "]".
const PATTERN = /Br|Cl|%[0-9]{2}|[\s\S]/g;

export function tokenizeSmiles(smiles: string): string[] {
  return smiles.match(PATTERN) ?? [];
}
