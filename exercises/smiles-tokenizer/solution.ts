/**
 * One sticky regular expression, tried at the current position: bracket atoms first, then the
 * two-letter halogens, then %NN ring labels, then single characters. A character that no rule
 * covers is an error instead of being skipped silently (Python's re.findall would drop it).
 */
const TOKEN = /\[[^[\]]*\]|Br|Cl|%[0-9]{2}|[BCNOPSFIbcnosp*0-9=#\-$:/\\().+~@?>]/y;

export function tokenizeSmiles(smiles: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < smiles.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(smiles);
    if (match === null) throw new Error(`unexpected character '${smiles[at]}' at position ${at} of the SMILES "${smiles}"`);
    tokens.push(match[0]);
  }
  return tokens;
}
