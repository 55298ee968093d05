export interface FormulaToken {
  element: string;
  amount: number;
}

/** The 118 element symbols: a symbol is one capital letter, optionally followed by one small letter. */
export const ELEMENTS = new Set(
  ("H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr " +
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu " +
    "Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr " +
    "Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og").split(" "),
);

/**
 * tokenizeFormula("Ca(OH)2")     -> [{ element: "Ca", amount: 1 }, { element: "O", amount: 2 }, { element: "H", amount: 2 }]
 * tokenizeFormula("CuSO4·5H2O")  -> Cu 1, S 1, O 9, H 10
 * tokenizeFormula("Li0.5CoO2")   -> Li 0.5, Co 1, O 2
 * Invalid formulas throw an Error whose message says what is wrong
 * ("empty", "unknown element <symbol>", "parenthesis", "unexpected character").
 */
export function tokenizeFormula(formula: string): FormulaToken[] {
  const tokens: FormulaToken[] = [];
  // Walk through `formula` one character at a time: element symbols, numbers, ( ) [ ] groups
  // and the hydrate separators · * . ; expand the groups and merge equal elements.
  void formula;
  return tokens;
}
