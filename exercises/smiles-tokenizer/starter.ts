/**
 * Split a SMILES string into tokens.
 *   tokenizeSmiles("CC(Cl)Br") -> ["C", "C", "(", "Cl", ")", "Br"]
 *
 * Rules, tried in this order at every position:
 *   1. a bracket atom: from "[" to the next "]"       ([NH4+], [O-], [C@@H], [13C], [nH])
 *   2. the two-letter halogens Br and Cl
 *   3. a two-digit ring label: "%" and two digits   (%10 ... %99)
 *   4. one character of  B C N O P S F I  b c n o s p  *  0-9  - = # $ : / \  ( )  .  + ~ @ ? >
 */
export function tokenizeSmiles(smiles: string): string[] {
  // This is the chapter's pitfall 4: one token per character. Replace it with a regular
  // expression (or a scanner) that follows the rules above.
  return smiles.split("");
}
