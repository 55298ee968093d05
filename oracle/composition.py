"""Chemical formulas read a second time, with RDKit's periodic table deciding what is an element.

The grammar is the exercise statement's (written here independently of the reference):

  formula := part (SEP part)*      SEP := '·' | '*' | '.'  (a '.' between two digits is a decimal point)
  part    := number? item+         a leading number multiplies the whole part (5H2O)
  item    := element number? | '(' item+ ')' number? | '[' item+ ']' number?
  element := [A-Z][a-z]?           a symbol RDKit's periodic table knows (1..118)
  number  := [0-9]+ ('.' [0-9]+)?

Amounts are multiplied out and equal elements merged, in order of first appearance. The golden is
[[element, amount], ...], or {"error": true} where the formula must be rejected (which message
the error carries is the reference's business).
"""
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
_TABLE = Chem.GetPeriodicTable()


class FormulaError(ValueError):
    pass


def is_element(symbol):
    try:
        return 1 <= _TABLE.GetAtomicNumber(symbol) <= 118
    except RuntimeError:
        return False


class _Reader:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def number(self):
        start = self.i
        while self.peek().isdigit():
            self.i += 1
        if self.i == start:
            return None
        if self.peek() == "." and self.peek(1).isdigit():
            self.i += 1
            while self.peek().isdigit():
                self.i += 1
        return float(self.s[start : self.i])

    def items(self, closer):
        out = []
        while True:
            c = self.peek()
            if c in ("(", "["):
                self.i += 1
                inner = self.items(")" if c == "(" else "]")
                if self.peek() != (")" if c == "(" else "]"):
                    raise FormulaError("unbalanced bracket")
                self.i += 1
                if not inner:
                    raise FormulaError("empty group")
                n = self.number()
                out.extend((e, a * (1.0 if n is None else n)) for e, a in inner)
            elif c.isascii() and c.isupper():
                symbol = c
                if self.peek(1).isascii() and self.peek(1).islower():
                    symbol += self.peek(1)
                if not is_element(symbol):
                    raise FormulaError(f"unknown element {symbol}")
                self.i += len(symbol)
                n = self.number()
                out.append((symbol, 1.0 if n is None else n))
            elif c == closer and closer:
                return out
            elif c in (")", "]"):
                raise FormulaError("unbalanced bracket")
            else:
                return out

    def formula(self):
        merged = {}
        while True:
            multiplier = self.number()
            part = self.items("")
            if not part:
                raise FormulaError("empty part")
            for e, a in part:
                merged[e] = merged.get(e, 0.0) + a * (1.0 if multiplier is None else multiplier)
            c = self.peek()
            if c == "":
                return merged
            if c in ("·", "*", "."):
                self.i += 1
                continue
            raise FormulaError(f"unexpected character {c!r}")


def composition_tokenizer(a, c):
    text = a[0]
    if not isinstance(text, str):
        raise TypeError("the formula case argument must be a string")
    try:
        merged = _Reader(text).formula()
    except FormulaError:
        return {"error": True}
    return {"tokens": [[e, int(v) if v.is_integer() else v] for e, v in merged.items()]}
