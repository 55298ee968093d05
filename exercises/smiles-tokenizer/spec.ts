import type { Localized, WireValue } from "@tfm/contract";
import { type CaseDef, type CompareVerdict, type InvariantDef, type InvariantOutcome, type Rng, defineExercise } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

// ---------------------------------------------------------------- molecules

type Tag = "halogen" | "chiral" | "bracket" | "aromatic" | "drug" | "multi" | "percent";

interface Molecule {
  name: Localized;
  smiles: string;
  tags: Tag[];
}

const mol = (ja: string, en: string, smiles: string, ...tags: Tag[]): Molecule => ({ name: name(ja, en), smiles, tags });

/** Real molecules (and two rings written with two-digit ring labels) for the hidden cases. */
const MOLECULES: readonly Molecule[] = [
  mol("エタノール", "ethanol", "CCO", "drug"),
  mol("イブプロフェン", "ibuprofen", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "drug", "aromatic"),
  mol("アスピリン", "aspirin", "CC(=O)Oc1ccccc1C(=O)O", "drug", "aromatic"),
  mol("カフェイン", "caffeine", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "drug", "aromatic"),
  mol("パラセタモール", "paracetamol", "CC(=O)Nc1ccc(O)cc1", "drug", "aromatic"),
  mol("ベンジルペニシリン", "benzylpenicillin", "CC1(C)S[C@@H]2[C@H](NC(=O)Cc3ccccc3)C(=O)N2[C@H]1C(=O)O", "drug", "chiral", "bracket"),
  mol("L-アラニン", "L-alanine", "C[C@@H](C(=O)O)N", "chiral", "bracket"),
  mol("ニコチン", "nicotine", "CN1CCC[C@H]1c1cccnc1", "drug", "chiral", "aromatic"),
  mol("モルヒネ", "morphine", "CN1CC[C@]23c4c5ccc(O)c4O[C@H]2[C@@H](O)C=C[C@H]3[C@H]1C5", "drug", "chiral"),
  mol("α-D-グルコース", "alpha-D-glucose", "OC[C@H]1O[C@H](O)[C@H](O)[C@@H](O)[C@@H]1O", "chiral"),
  mol("L-アスコルビン酸", "L-ascorbic acid", "OC[C@H](O)[C@H]1OC(=O)C(O)=C1O", "chiral"),
  mol("コレステロール", "cholesterol", "CC(C)CCC[C@@H](C)[C@H]1CC[C@@H]2[C@@]1(CC[C@H]3[C@H]2CC=C4[C@@]3(CC[C@@H](C4)O)C)C", "chiral"),
  mol("セロトニン", "serotonin", "NCCc1c[nH]c2ccc(O)cc12", "drug", "aromatic", "bracket"),
  mol("ドーパミン", "dopamine", "NCCc1ccc(O)c(O)c1", "drug", "aromatic"),
  mol("フルオキセチン", "fluoxetine", "CNCCC(Oc1ccc(cc1)C(F)(F)F)c1ccccc1", "drug", "halogen"),
  mol("クロロホルム", "chloroform", "ClC(Cl)Cl", "halogen"),
  mol("1-ブロモ-4-クロロベンゼン", "1-bromo-4-chlorobenzene", "Clc1ccc(Br)cc1", "halogen", "aromatic"),
  mol("ヨードベンゼン", "iodobenzene", "Ic1ccccc1", "halogen", "aromatic"),
  mol("cis-1,2-ジクロロエテン", "cis-1,2-dichloroethene", "Cl/C=C\\Cl", "halogen"),
  mol("trans-1,2-ジフルオロエテン", "trans-1,2-difluoroethene", "F/C=C/F", "halogen"),
  mol("塩化ナトリウム", "sodium chloride", "[Na+].[Cl-]", "bracket", "multi", "halogen"),
  mol("塩化アンモニウム", "ammonium chloride", "[NH4+].[Cl-]", "bracket", "multi", "halogen"),
  mol("シスプラチン", "cisplatin", "N.N.Cl[Pt]Cl", "bracket", "multi", "halogen"),
  mol("ヘキサフルオロリン酸リチウム", "lithium hexafluorophosphate", "[Li+].F[P-](F)(F)(F)(F)F", "bracket", "multi", "halogen"),
  mol("テトラフルオロホウ酸リチウム", "lithium tetrafluoroborate", "[Li+].F[B-](F)(F)F", "bracket", "multi", "halogen"),
  mol("フェロセン", "ferrocene", "[CH-]1C=CC=C1.[CH-]1C=CC=C1.[Fe+2]", "bracket", "multi"),
  mol("硫酸鉄(II)", "iron(II) sulfate", "[Fe+2].[O-]S(=O)(=O)[O-]", "bracket", "multi"),
  mol("重水", "heavy water", "[2H]O[2H]", "bracket"),
  mol("¹³C メタン", "13C-methane", "[13CH4]", "bracket"),
  mol("ニトロベンゼン", "nitrobenzene", "O=[N+]([O-])c1ccccc1", "bracket", "aromatic"),
  mol("エチレンカーボネート", "ethylene carbonate", "O=C1OCCO1", "drug"),
  mol("チオフェン", "thiophene", "c1ccsc1", "aromatic"),
  mol("フラン", "furan", "c1ccoc1", "aromatic"),
  mol("ピリジン", "pyridine", "c1ccncc1", "aromatic"),
  mol("ホスフィニン", "phosphinine", "c1ccpcc1", "aromatic"),
  mol("ボラベンゼン", "borabenzene", "b1ccccc1", "aromatic"),
  mol("ピロール", "pyrrole", "c1cc[nH]c1", "aromatic", "bracket"),
  mol("フェニルボロン酸", "phenylboronic acid", "OB(O)c1ccccc1", "aromatic"),
  mol("硫酸", "sulfuric acid", "OS(=O)(=O)O", "drug"),
  mol("アセトニトリル", "acetonitrile", "CC#N", "drug"),
  mol("エステル化反応 (反応 SMILES)", "an esterification (reaction SMILES)", "CC(=O)O.OCC>>CC(=O)OCC.O", "multi"),
  mol("アントラセン (2 桁の環番号で記述)", "anthracene written with two-digit ring labels", "c%10ccc%11cc%12ccccc%12cc%11c%10", "percent", "aromatic"),
  mol("シクロヘキサン (環番号 %10)", "cyclohexane with ring label %10", "C%10CCCCC%10", "percent"),
];

function pickMolecule(rng: Rng, tag: Tag | null): Molecule {
  return rng.pick(tag === null ? MOLECULES : MOLECULES.filter((m) => m.tags.includes(tag)));
}

// ---------------------------------------------------------------- random SMILES grammar

interface Grammar {
  atoms: [number, number];
  components: [number, number];
  bracket: number;
  aromatic: number;
  ring: number;
  percent: boolean;
  branch: number;
  stereo: number;
}

const BASE: Grammar = { atoms: [4, 12], components: [1, 1], bracket: 0.1, aromatic: 0.15, ring: 0.15, percent: false, branch: 0.2, stereo: 0 };
const ORGANIC = ["C", "C", "C", "C", "C", "N", "N", "O", "O", "S", "P", "F", "Cl", "Br", "I", "B"];
const AROMATIC = ["c", "c", "c", "n", "o", "s", "p", "b"];
const BRACKET_SYMBOLS = ["C", "N", "O", "S", "P", "Fe", "Na", "Cl", "Br", "Pt", "Cu", "Zn", "Si", "Se", "Li", "Mg", "Co", "c", "n", "o", "s", "se", "as"];

function bracketAtom(rng: Rng): string {
  let s = "[";
  if (rng.random() < 0.25) s += String(rng.int(1, 240));
  s += rng.pick(BRACKET_SYMBOLS);
  if (rng.random() < 0.3) s += rng.pick(["@", "@@"]);
  if (rng.random() < 0.4) s += rng.pick(["H", "H2", "H3", "H4"]);
  if (rng.random() < 0.5) s += rng.pick(["+", "-", "+2", "-2", "++", "--", "+3"]);
  return `${s}]`;
}

function atom(rng: Rng, g: Grammar): string {
  const r = rng.random();
  if (r < g.bracket) return bracketAtom(rng);
  if (r < g.bracket + g.aromatic) return rng.pick(AROMATIC);
  if (r < g.bracket + g.aromatic + 0.02) return "*";
  return rng.pick(ORGANIC);
}

function bond(rng: Rng, g: Grammar): string {
  if (rng.random() < g.stereo) return rng.pick(["/", "\\"]);
  const r = rng.random();
  if (r < 0.01) return "$";
  if (r < 0.25) return rng.pick(["=", "=", "#", "-", ":"]);
  return "";
}

/** Ring-closure labels in use; freed labels are reused, as SMILES writers do. */
class RingLabels {
  private readonly used = new Set<number>();
  constructor(private readonly first: number) {}
  take(): number {
    let n = this.first;
    while (this.used.has(n)) n++;
    this.used.add(n);
    return n;
  }
  release(n: number): void {
    this.used.delete(n);
  }
  static text(n: number): string {
    return n < 10 ? String(n) : `%${n}`;
  }
}

function chain(rng: Rng, n: number, g: Grammar, depth: number, labels: RingLabels): string {
  let s = "";
  const open: { label: number; at: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) s += bond(rng, g);
    s += atom(rng, g);
    const closable = open.findIndex((r) => i - r.at >= 2);
    if (closable >= 0 && rng.random() < 0.5) {
      const [r] = open.splice(closable, 1);
      if (r !== undefined) {
        s += RingLabels.text(r.label);
        labels.release(r.label);
      }
    } else if (i < n - 2 && rng.random() < g.ring) {
      const label = labels.take();
      s += RingLabels.text(label);
      open.push({ label, at: i });
    }
    if (depth < 3 && i < n - 1 && rng.random() < g.branch) {
      s += `(${bond(rng, g)}${chain(rng, rng.int(1, 4), g, depth + 1, labels)})`;
    }
  }
  for (const r of open) {
    s += RingLabels.text(r.label);
    labels.release(r.label);
  }
  return s;
}

/** A random string that follows the SMILES grammar (not necessarily a stable molecule). */
function randomSmiles(rng: Rng, g: Grammar): string {
  const parts: string[] = [];
  const count = rng.int(g.components[0], g.components[1] + 1);
  for (let c = 0; c < count; c++) {
    parts.push(chain(rng, rng.int(g.atoms[0], g.atoms[1] + 1), g, 0, new RingLabels(g.percent ? rng.int(8, 40) : 1)));
  }
  return parts.join(".");
}

// ---------------------------------------------------------------- token checks and diagnosis

/** One valid token, anchored: bracket atom, Br/Cl, %NN, or one character of the token set. */
const VALID_TOKEN = /^(?:\[[^[\]]+\]|Br|Cl|%[0-9]{2}|[BCNOPSFIbcnosp*0-9=#\-$:/\\().+~@?>])$/;

/** A token as a message shows it: at most SHOWN characters (a wrong token can be megabytes long; the message is built on every comparison, the pitfall variants' included). */
const SHOWN = 40;
function shown(t: string): string {
  return t.length > SHOWN ? `${t.slice(0, SHOWN)}…(${t.length})` : t;
}

function quote(t: string | undefined): string {
  return t === undefined ? "—" : JSON.stringify(shown(t));
}

/** The mistake a wrong token list points to, judged from the tokens themselves. */
function diagnose(input: string, tokens: readonly string[]): string | undefined {
  const chars = [...input];
  if (tokens.length === chars.length && tokens.every((t, i) => t === chars[i]) && tokens.some((t) => !VALID_TOKEN.test(t))) {
    return "smiles-char-split";
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (VALID_TOKEN.test(t)) continue;
    if ((t.match(/\[/g) ?? []).length > 1) return "smiles-greedy-bracket";
    if (t === "%" || /^%[0-9]$/.test(t)) return "smiles-ring-percent-split";
    if (t.startsWith("[") || t.endsWith("]")) return "smiles-bracket-split";
  }
  // Tokens that are all valid but lost the 'l' of Cl or the 'r' of Br.
  if (/Cl|Br/.test(input.replace(/\[[^[\]]*\]/g, "")) && tokens.join("") !== input) {
    const dropped = input.replace(/\[[^[\]]*\]/g, "").replace(/Cl/g, "C").replace(/Br/g, "B");
    if (tokens.filter((t) => !t.startsWith("[")).join("") === dropped) return "smiles-two-letter-split";
  }
  return undefined;
}

/** The pitfall the first differing token points to (expected vs actual). */
function diagnoseDiff(input: string, expected: readonly string[], actual: readonly string[], at: number): string | undefined {
  const chars = [...input];
  if (actual.length === chars.length && actual.every((t, i) => t === chars[i])) return "smiles-char-split";
  const e = expected[at];
  const a = actual[at];
  if (e === undefined || a === undefined) return diagnose(input, actual);
  if ((e === "Cl" || e === "Br") && a === e[0]) return "smiles-two-letter-split";
  if (e.startsWith("%") && (a === "%" || a === e.slice(0, 2))) return "smiles-ring-percent-split";
  if (e.startsWith("[") && a.startsWith("[") && a.length > e.length && a.startsWith(e)) return "smiles-greedy-bracket";
  if (e.startsWith("[") && a.length < e.length && e.startsWith(a)) return "smiles-bracket-split";
  return diagnose(input, actual);
}

function context(tokens: readonly string[], at: number): string {
  const from = Math.max(0, at - 3);
  const to = Math.min(tokens.length, at + 4);
  const parts = tokens.slice(from, to).map((t, k) => (from + k === at ? `>${shown(t)}<` : shown(t)));
  return `${from > 0 ? "… " : ""}${parts.join(" ")}${to < tokens.length ? " …" : ""}`;
}

function asTokens(v: WireValue | undefined): string[] | null {
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const t of v) {
    if (typeof t !== "string") return null;
    out.push(t);
  }
  return out;
}

function describe(v: WireValue | undefined): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `array (${v.length})`;
  return typeof v === "object" ? "object" : typeof v;
}

function compareTokens(expectedValue: WireValue, actualValue: WireValue, args: readonly WireValue[]): CompareVerdict {
  const expected = asTokens(expectedValue) ?? [];
  const input = typeof args[0] === "string" ? args[0] : "";
  const actual = asTokens(actualValue);
  if (actual === null) {
    return {
      ok: false,
      message: {
        ja: `文字列 (トークン) の配列を返してください。返された値: ${describe(actualValue)}`,
        en: `return an array of strings (the tokens); got ${describe(actualValue)}`,
      },
    };
  }
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  if (at === expected.length && at === actual.length) return { ok: true };
  const counts: Localized = {
    ja: `期待 ${expected.length} 個、実際 ${actual.length} 個のトークン`,
    en: `expected ${expected.length} tokens, got ${actual.length}`,
  };
  const pitfall = diagnoseDiff(input, expected, actual, at);
  return {
    ok: false,
    message: {
      ja: `トークン ${at} 番目が違います: 期待 ${quote(expected[at])}、実際 ${quote(actual[at])} (${counts.ja})。期待: ${context(expected, at)} / 実際: ${context(actual, at)}`,
      en: `token ${at} differs: expected ${quote(expected[at])}, got ${quote(actual[at])} (${counts.en}); expected: ${context(expected, at)} / actual: ${context(actual, at)}`,
    },
    ...(pitfall !== undefined ? { pitfall } : {}),
  };
}

// ---------------------------------------------------------------- invariants

async function tokensOf(call: (args: WireValue[]) => Promise<WireValue>, smiles: string): Promise<string[] | null> {
  return asTokens(await call([smiles]));
}

const notTokens = (smiles: string): InvariantOutcome => ({
  ok: false,
  message: { ja: `${JSON.stringify(smiles)} に対して文字列の配列が返されませんでした`, en: `no array of strings was returned for ${JSON.stringify(smiles)}` },
});

const RICH: Grammar = { ...BASE, atoms: [3, 10], components: [1, 2], bracket: 0.2, ring: 0.2, percent: false, stereo: 0.1 };

function invariantInputs(rng: Rng, n: number): string[] {
  return Array.from({ length: n }, (_, i) => randomSmiles(rng, { ...RICH, percent: i % 3 === 0 }));
}

const joinsBack: InvariantDef = {
  id: "smiles-inv-join",
  name: name("トークンをつなげると元の SMILES に戻る (ランダムな SMILES 24 個)", "the tokens join back to the input (24 random SMILES)"),
  async run({ rng, call }) {
    for (const smiles of invariantInputs(rng, 24)) {
      const tokens = await tokensOf(call, smiles);
      if (tokens === null) return notTokens(smiles);
      const joined = tokens.join("");
      if (joined !== smiles) {
        const pitfall = diagnose(smiles, tokens);
        return {
          ok: false,
          message: {
            ja: `${JSON.stringify(smiles)} のトークンをつなげると ${JSON.stringify(shown(joined))} になりました。文字が落ちたり増えたりしています (正規表現にない文字は match で黙って捨てられます)`,
            en: `the tokens of ${JSON.stringify(smiles)} join to ${JSON.stringify(shown(joined))}: characters were lost or added (a regex match silently skips characters no alternative covers)`,
          },
          ...(pitfall !== undefined ? { pitfall } : {}),
        };
      }
    }
    return { ok: true };
  },
};

const validTokens: InvariantDef = {
  id: "smiles-inv-valid-tokens",
  name: name("どのトークンも正しい SMILES トークン (ランダムな SMILES 24 個)", "every token is a valid SMILES token (24 random SMILES)"),
  async run({ rng, call }) {
    for (const smiles of invariantInputs(rng, 24)) {
      const tokens = await tokensOf(call, smiles);
      if (tokens === null) return notTokens(smiles);
      const bad = tokens.findIndex((t) => !VALID_TOKEN.test(t));
      if (bad >= 0) {
        const pitfall = diagnose(smiles, tokens);
        return {
          ok: false,
          message: {
            ja: `${JSON.stringify(smiles)} のトークン ${bad} 番目 ${JSON.stringify(tokens[bad])} は SMILES のトークンではありません: ${context(tokens, bad)}`,
            en: `token ${bad} of ${JSON.stringify(smiles)}, ${JSON.stringify(tokens[bad])}, is not a SMILES token: ${context(tokens, bad)}`,
          },
          ...(pitfall !== undefined ? { pitfall } : {}),
        };
      }
    }
    return { ok: true };
  },
};

const dotConcatenates: InvariantDef = {
  id: "smiles-inv-dot-concat",
  name: name("A.B のトークンは A のトークン + '.' + B のトークン", "the tokens of A.B are the tokens of A, then '.', then those of B"),
  async run({ rng, call }) {
    for (let k = 0; k < 6; k++) {
      const g: Grammar = { ...RICH, components: [1, 1], bracket: 0.35 };
      const a = `${randomSmiles(rng, g)}[${rng.pick(["Na+", "O-", "NH4+", "13C"])}]`;
      const b = `[${rng.pick(["Cl-", "Fe+2", "nH", "2H"])}]${randomSmiles(rng, g)}`;
      const ta = await tokensOf(call, a);
      const tb = await tokensOf(call, b);
      const tab = await tokensOf(call, `${a}.${b}`);
      if (ta === null) return notTokens(a);
      if (tb === null) return notTokens(b);
      if (tab === null) return notTokens(`${a}.${b}`);
      const want = [...ta, ".", ...tb];
      let at = 0;
      while (at < want.length && want[at] === tab[at]) at++;
      if (at < want.length || tab.length !== want.length) {
        const pitfall = diagnoseDiff(`${a}.${b}`, want, tab, at);
        return {
          ok: false,
          message: {
            ja: `"." は常にトークンの境目です。${JSON.stringify(`${a}.${b}`)} のトークン ${at} 番目は ${quote(want[at])} のはずが ${quote(tab[at])} でした: ${context(tab, at)}`,
            en: `"." always separates tokens; token ${at} of ${JSON.stringify(`${a}.${b}`)} should be ${quote(want[at])} but is ${quote(tab[at])}: ${context(tab, at)}`,
          },
          ...(pitfall !== undefined ? { pitfall } : {}),
        };
      }
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------- cases

const fixed = (id: string, kind: "public" | "pitfall", ja: string, en: string, smiles: string): CaseDef => ({
  id,
  kind,
  name: name(`${ja}: ${smiles}`, `${en}: ${smiles}`),
  make: () => [smiles],
});

const hiddenMolecule = (id: string, ja: string, en: string, tag: Tag | null): CaseDef => ({
  id,
  kind: "hidden",
  name: name(ja, en),
  make: ({ rng }) => [pickMolecule(rng, tag).smiles],
});

const hiddenRandom = (id: string, ja: string, en: string, g: Grammar): CaseDef => ({
  id,
  kind: "hidden",
  name: name(ja, en),
  make: ({ rng }) => [randomSmiles(rng, g)],
});

const cases: CaseDef[] = [
  fixed("smiles-ethanol", "public", "エタノール", "ethanol", "CCO"),
  fixed("smiles-ibuprofen", "public", "イブプロフェン (第1章の例)", "ibuprofen (the chapter's example)", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"),
  fixed("smiles-halogens", "public", "Cl と Br (1-ブロモ-4-クロロベンゼン)", "Cl and Br (1-bromo-4-chlorobenzene)", "Clc1ccc(Br)cc1"),
  fixed("smiles-charged-brackets", "public", "電荷をもつブラケット原子と '.' (塩化アンモニウム)", "charged bracket atoms and '.' (ammonium chloride)", "[NH4+].[Cl-]"),
  fixed("smiles-chirality", "public", "キラリティと H の数 (L-アラニン)", "chirality and H count (L-alanine)", "C[C@@H](C(=O)O)N"),
  fixed("smiles-isotopes", "public", "同位体 (重水)", "isotopes (heavy water)", "[2H]O[2H]"),
  fixed("smiles-two-digit-rings", "public", "2 桁の環番号 (アントラセン)", "two-digit ring labels (anthracene)", "c%10ccc%11cc%12ccccc%12cc%11c%10"),
  fixed("smiles-stereo-bonds", "public", "立体結合 / と \\ (cis-1,2-ジクロロエテン)", "stereo bonds / and \\ (cis-1,2-dichloroethene)", "Cl/C=C\\Cl"),
  fixed("smiles-caffeine", "public", "芳香族の n と分岐 (カフェイン)", "aromatic n and branches (caffeine)", "Cn1cnc2c1c(=O)n(C)c(=O)n2C"),
  fixed("smiles-methanol-explicit-h", "public", "第1章の例: メタノール CH₃OH (水素を明示)", "the chapter's example: methanol CH3OH (hydrogens written out)", "[H]C([H])([H])O[H]"),
  fixed("smiles-organic-atoms", "public", "原子 B C N O P S F I Cl Br とワイルドカード *", "the atoms B C N O P S F I Cl Br and the wildcard *", "FC(Cl)(Br)OB(I)NP(=S)*"),
  fixed("smiles-aromatic-and-bonds", "public", "芳香族原子 b c n o s p と結合 - : # $", "aromatic atoms b c n o s p and the bonds - : # $", "b1ccccc1-c1ccsc1.o1cccc1.p1ccccc1:n.C#N.[Cu]$[Cu]"),
  fixed("smiles-reaction", "public", "反応 SMILES: >> は 2 つのトークン > > (エステル化)", "a reaction SMILES: >> is two tokens > > (esterification)", "CC(=O)O.OCC>>CC(=O)OCC.O"),
  fixed("smiles-percent-then-digit", "public", "% のあとは数字 2 つだけ: %101 は %10 と 1 (スピロ環)", "% takes exactly two digits: %101 is %10 then 1 (a spiro compound)", "C%101CCCCC%10CCC1"),
  fixed("smiles-pitfall-bracket-nh", "pitfall", "第1章の落とし穴: [nH] (ピロール)", "the chapter's pitfall: [nH] (pyrrole)", "c1cc[nH]c1"),
  fixed("smiles-pitfall-halogens", "pitfall", "Cl と Br を C+l、B+r に分けない", "Cl and Br must not become C+l, B+r", "ClCCBr"),
  fixed("smiles-pitfall-percent", "pitfall", "%10 は 1 つの環番号 (ブロモシクロヘキサン)", "%10 is one ring label (bromocyclohexane)", "BrC%10CCCCC%10"),
  fixed("smiles-pitfall-bracket-atom", "pitfall", "ブラケット原子は丸ごと 1 トークン (3-クロロアラニンの双性イオン)", "a bracket atom is one whole token (3-chloroalanine zwitterion)", "[NH3+][C@@H](CCl)C(=O)[O-]"),
  fixed("smiles-pitfall-greedy", "pitfall", "ブラケット原子を 1 つずつ閉じる", "each bracket atom closes at its own ']'", "[Na+].[Cl-]"),
  hiddenMolecule("smiles-hidden-halogen", "ハロゲンを含む分子", "a molecule with halogens", "halogen"),
  hiddenMolecule("smiles-hidden-chiral", "キラル中心をもつ分子", "a molecule with chiral centres", "chiral"),
  hiddenMolecule("smiles-hidden-bracket", "イオン・同位体・ブラケット原子", "ions, isotopes and bracket atoms", "bracket"),
  hiddenMolecule("smiles-hidden-aromatic", "芳香環 (c, n, o, s, p, b)", "aromatic rings (c, n, o, s, p, b)", "aromatic"),
  hiddenMolecule("smiles-hidden-drug", "医薬品・小分子", "a drug or small molecule", "drug"),
  hiddenMolecule("smiles-hidden-multi", "複数成分 ('.') と反応 SMILES", "several components ('.') and reaction SMILES", "multi"),
  hiddenMolecule("smiles-hidden-any", "一覧から任意の分子", "any molecule of the list", null),
  hiddenRandom("smiles-hidden-random-small", "ランダムな SMILES (小さい)", "random SMILES (small)", BASE),
  hiddenRandom("smiles-hidden-random-branches", "ランダムな SMILES (分岐が多く長い)", "random SMILES (long, many branches)", { ...BASE, atoms: [15, 30], branch: 0.4 }),
  hiddenRandom("smiles-hidden-random-rings", "ランダムな SMILES (%NN の環番号)", "random SMILES (%NN ring labels)", { ...BASE, atoms: [10, 20], ring: 0.35, percent: true }),
  hiddenRandom("smiles-hidden-random-brackets", "ランダムな SMILES (ブラケット原子が多い)", "random SMILES (many bracket atoms)", { ...BASE, bracket: 0.5 }),
  hiddenRandom("smiles-hidden-random-components", "ランダムな SMILES ('.' で区切られた複数成分)", "random SMILES (components separated by '.')", { ...BASE, components: [2, 4], bracket: 0.25 }),
  hiddenRandom("smiles-hidden-random-stereo", "ランダムな SMILES (立体結合とキラリティ)", "random SMILES (stereo bonds and chirality)", { ...BASE, stereo: 0.3, bracket: 0.3 }),
  hiddenRandom("smiles-hidden-single-atom", "原子 1 個だけ", "a single atom", { ...BASE, atoms: [1, 1], bracket: 0.4 }),
];

export default defineExercise({
  cases,
  compare: compareTokens,
  invariants: [joinsBack, validTokens, dotConcatenates],
});
