// Treats "%" as a token of its own and reads every digit as a one-digit ring label, so "%10"
// becomes "%", "1", "0".
const PATTERN = /\[[^\]]+\]|Br|Cl|[BCNOPSFIbcnosp*]|[0-9]|%|[=#\-$:/\\().+~@?>]/g;

export function tokenizeSmiles(smiles: string): string[] {
  return smiles.match(PATTERN) ?? [];
}
