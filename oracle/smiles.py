"""RDKit reads every SMILES of the SMILES exercise's cases.

For each SMILES (or reaction SMILES, with '>') the golden holds RDKit's atoms in input order,
[element symbol, aromatic, isotope, formal charge, explicit H count, bracket atom], and its number
of bonds (atoms - components + ring closures, which checks the ring-closure labels). The SMILES is
parsed without sanitization, which keeps the atoms exactly as written (an [nH] is one aromatic N
with one explicit H; no hydrogens are added or removed) and accepts the grammar-only random
strings of the hidden cases that are not chemically valid; whether RDKit can also sanitize the
molecule (valences, Kekulé form) is recorded beside it.
"""
from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem import rdChemReactions

RDLogger.DisableLog("rdApp.*")

RDKIT_VERSION = rdBase.rdkitVersion


def _atoms(mol):
    return [
        [a.GetSymbol(), a.GetIsAromatic(), a.GetIsotope(), a.GetFormalCharge(), a.GetNumExplicitHs(), a.GetNoImplicit()]
        for a in mol.GetAtoms()
    ]


def _sanitizes(smiles):
    try:
        return Chem.MolFromSmiles(smiles) is not None
    except Exception:
        return False


def smiles_atoms(smiles):
    if ">" in smiles:
        rxn = rdChemReactions.ReactionFromSmarts(smiles, useSmiles=True)
        if rxn is None:
            raise ValueError(f"RDKit cannot read the reaction SMILES {smiles!r}")
        mols = list(rxn.GetReactants()) + list(rxn.GetAgents()) + list(rxn.GetProducts())
        atoms = [atom for m in mols for atom in _atoms(m)]
        bonds = sum(m.GetNumBonds() for m in mols)
        sanitized = all(_sanitizes(part) for part in smiles.replace(">>", ".").replace(">", ".").split(".") if part)
        return {"kind": "reaction", "atoms": atoms, "bonds": bonds, "sanitized": sanitized}
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        raise ValueError(f"RDKit cannot read the SMILES {smiles!r}")
    return {"kind": "molecule", "atoms": _atoms(mol), "bonds": mol.GetNumBonds(), "sanitized": _sanitizes(smiles)}


def smiles_tokenizer(a, c):
    s = a[0]
    if not isinstance(s, str):
        raise TypeError("the SMILES case argument must be a string")
    return smiles_atoms(s)
