// The chapter's pitfall 4: list(smiles), one token per character.
export function tokenizeSmiles(smiles: string): string[] {
  return [...smiles];
}
