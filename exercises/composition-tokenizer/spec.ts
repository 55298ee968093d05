import type { Localized, WireValue } from "@tfm/contract";
import { type CaseDef, type CompareVerdict, type InvariantDef, type InvariantOutcome, type Rng, defineExercise } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

interface Token {
  element: string;
  amount: number;
}

/** Amounts are sums and products of decimals: equal up to rounding, |a - e| <= 1e-9 (1 + |e|). */
const close = (a: number, e: number): boolean => Math.abs(a - e) <= 1e-9 * (1 + Math.abs(e));

// ---------------------------------------------------------------- materials

type Tag = "simple" | "group" | "fraction" | "hydrate" | "repeat";

interface Material {
  name: Localized;
  formula: string;
  tags: Tag[];
}

const mat = (ja: string, en: string, formula: string, ...tags: Tag[]): Material => ({ name: name(ja, en), formula, tags });

/** Real compounds (battery materials, perovskites, minerals, hydrates) for the hidden cases. */
const MATERIALS: readonly Material[] = [
  mat("LLZO 固体電解質", "LLZO solid electrolyte", "Li7La3Zr2O12", "simple"),
  mat("コバルト酸リチウム", "lithium cobalt oxide", "LiCoO2", "simple"),
  mat("充電途中の LiCoO2", "half-delithiated LiCoO2", "Li0.5CoO2", "fraction"),
  mat("リン酸鉄リチウム", "lithium iron phosphate", "LiFePO4", "simple"),
  mat("マンガン酸リチウム", "lithium manganese oxide", "LiMn2O4", "simple"),
  mat("チタン酸リチウム", "lithium titanate", "Li4Ti5O12", "simple"),
  mat("NCA 正極", "NCA cathode", "LiNi0.8Co0.15Al0.05O2", "fraction"),
  mat("NMC622 正極", "NMC622 cathode", "LiNi0.6Mn0.2Co0.2O2", "fraction"),
  mat("LATP 固体電解質", "LATP solid electrolyte", "Li1.3Al0.3Ti1.7(PO4)3", "fraction", "group"),
  mat("LGPS 固体電解質", "LGPS solid electrolyte", "Li10GeP2S12", "simple"),
  mat("チタン酸ストロンチウム", "strontium titanate", "SrTiO3", "simple"),
  mat("チタン酸バリウム", "barium titanate", "BaTiO3", "simple"),
  mat("LSC ペロブスカイト", "LSC perovskite", "La0.6Sr0.4CoO3", "fraction"),
  mat("BSCF ペロブスカイト", "BSCF perovskite", "Ba0.5Sr0.5Co0.8Fe0.2O3", "fraction"),
  mat("YAG", "YAG", "Y3Al5O12", "simple"),
  mat("YBCO 超伝導体", "YBCO superconductor", "YBa2Cu3O7", "simple"),
  mat("ヨウ化鉛メチルアンモニウム", "methylammonium lead iodide", "CH3NH3PbI3", "repeat"),
  mat("ダブルペロブスカイト", "a double perovskite", "Cs2AgBiBr6", "simple"),
  mat("テルル化ビスマス", "bismuth telluride", "Bi2Te3", "simple"),
  mat("窒化ガリウム", "gallium nitride", "GaN", "simple"),
  mat("二硫化モリブデン", "molybdenum disulfide", "MoS2", "simple"),
  mat("水酸化カルシウム", "calcium hydroxide", "Ca(OH)2", "group"),
  mat("水酸化マグネシウム", "magnesium hydroxide", "Mg(OH)2", "group"),
  mat("硫酸アルミニウム", "aluminium sulfate", "Al2(SO4)3", "group"),
  mat("硫酸アンモニウム", "ammonium sulfate", "(NH4)2SO4", "group"),
  mat("リン酸カルシウム", "calcium phosphate", "Ca3(PO4)2", "group"),
  mat("ヒドロキシアパタイト", "hydroxyapatite", "Ca10(PO4)6(OH)2", "group", "repeat"),
  mat("ヘキサシアニド鉄(II)酸カリウム", "potassium ferrocyanide", "K4[Fe(CN)6]", "group"),
  mat("プルシアンブルー", "Prussian blue", "Fe4[Fe(CN)6]3", "group", "repeat"),
  mat("硝酸銅(II)", "copper(II) nitrate", "Cu(NO3)2", "group"),
  mat("酢酸", "acetic acid", "CH3COOH", "repeat"),
  mat("エタノール", "ethanol", "CH3CH2OH", "repeat"),
  mat("硫酸銅(II) 五水和物", "copper(II) sulfate pentahydrate", "CuSO4·5H2O", "hydrate", "repeat"),
  mat("焼石膏", "plaster of Paris", "CaSO4·0.5H2O", "hydrate", "fraction", "repeat"),
  mat("炭酸ナトリウム十水和物", "sodium carbonate decahydrate", "Na2CO3·10H2O", "hydrate", "repeat"),
  mat("硫酸マグネシウム七水和物", "magnesium sulfate heptahydrate", "MgSO4·7H2O", "hydrate", "repeat"),
  mat("塩化コバルト(II) 六水和物", "cobalt(II) chloride hexahydrate", "CoCl2·6H2O", "hydrate"),
  mat("ホウ砂", "borax", "Na2B4O7·10H2O", "hydrate", "repeat"),
  mat("硝酸銅(II) 三水和物", "copper(II) nitrate trihydrate", "Cu(NO3)2·3H2O", "hydrate", "group", "repeat"),
  mat("酢酸亜鉛二水和物", "zinc acetate dihydrate", "Zn(CH3COO)2·2H2O", "hydrate", "group", "repeat"),
  mat("塩化アルミニウム六水和物 (* 区切り)", "aluminium chloride hexahydrate (* separator)", "AlCl3*6H2O", "hydrate"),
  mat("炭酸ナトリウム一水和物 (. 区切り)", "sodium carbonate monohydrate (. separator)", "Na2CO3.H2O", "hydrate", "repeat"),
];

function pickMaterial(rng: Rng, tag: Tag | null): string {
  return rng.pick(tag === null ? MATERIALS : MATERIALS.filter((m) => m.tags.includes(tag))).formula;
}

// ---------------------------------------------------------------- random formulas

const COMMON = [
  "H", "Li", "B", "C", "N", "O", "F", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "K", "Ca", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni",
  "Cu", "Zn", "Ga", "Ge", "Se", "Br", "Sr", "Y", "Zr", "Nb", "Mo", "Ag", "In", "Sn", "Sb", "Te", "I", "Cs", "Ba", "La", "Ce",
  "Nd", "Gd", "Hf", "Ta", "W", "Pt", "Au", "Pb", "Bi", "U",
];
const DECIMALS = ["0.5", "0.25", "0.1", "0.2", "0.8", "1.5", "2.5", "0.05", "0.75", "1.3", "0.7", "0.15"];

interface FormulaStyle {
  items: [number, number];
  groups: number;
  fractions: number;
  repeats: number;
}

const PLAIN: FormulaStyle = { items: [2, 4], groups: 0, fractions: 0, repeats: 0 };

function amountText(rng: Rng, style: FormulaStyle): string {
  const r = rng.random();
  if (r < style.fractions) return rng.pick(DECIMALS);
  if (r < style.fractions + 0.35) return "";
  return String(rng.int(2, 13));
}

/** A formula part without a leading coefficient or hydrate separator. */
function randomPart(rng: Rng, style: FormulaStyle, depth = 0, used: string[] = []): string {
  let s = "";
  const n = rng.int(style.items[0], style.items[1] + 1);
  for (let i = 0; i < n; i++) {
    if (depth < 2 && rng.random() < style.groups) {
      const [open, close] = rng.random() < 0.25 ? ["[", "]"] : ["(", ")"];
      // Group multipliers stay integers, as in real formulas.
      const k = rng.random() < 0.15 ? "" : String(rng.int(2, 7));
      s += `${open}${randomPart(rng, { ...style, items: [1, 3] }, depth + 1, used)}${close}${k}`;
      continue;
    }
    const element = used.length > 0 && rng.random() < style.repeats ? rng.pick(used) : rng.pick(COMMON);
    used.push(element);
    s += element + amountText(rng, style);
  }
  return s;
}

function randomHydrate(rng: Rng, style: FormulaStyle): string {
  const coefficient = rng.pick(["", "2", "3", "5", "6", "7", "10", "0.5"]);
  const separator = coefficient === "" ? rng.pick(["·", "*", "."]) : rng.pick(["·", "*"]);
  const water = rng.random() < 0.7 ? "H2O" : randomPart(rng, { ...style, items: [1, 2] });
  return `${randomPart(rng, style)}${separator}${coefficient}${water}`;
}

// ---------------------------------------------------------------- reading results

function asTokens(v: WireValue | undefined): Token[] | null {
  if (!Array.isArray(v)) return null;
  const out: Token[] = [];
  for (const t of v) {
    if (t === null || typeof t !== "object" || Array.isArray(t)) return null;
    const { element, amount } = t as Record<string, WireValue>;
    if (typeof element !== "string" || typeof amount !== "number") return null;
    out.push({ element, amount });
  }
  return out;
}

// Messages are built on every comparison (the pitfall variants' included): a wrong answer can hold a
// million tokens or a megabyte-long element, so what they show is bounded.
const SHOWN_CHARS = 40;
const SHOWN_TOKENS = 16;
const clipped = (s: string): string => (s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}…(${s.length})` : s);
const show = (t: Token | undefined): string => (t === undefined ? "—" : `${clipped(t.element)}×${Number(t.amount.toPrecision(12))}`);
const showAll = (ts: readonly Token[]): string =>
  ts.length === 0 ? "[]" : ts.slice(0, SHOWN_TOKENS).map(show).join(" ") + (ts.length > SHOWN_TOKENS ? ` … (${ts.length})` : "");

function firstDifference(expected: readonly Token[], actual: readonly Token[]): number {
  let at = 0;
  while (at < expected.length && at < actual.length) {
    const e = expected[at] as Token;
    const a = actual[at] as Token;
    if (e.element !== a.element || !close(a.amount, e.amount)) break;
    at++;
  }
  return at === expected.length && at === actual.length ? -1 : at;
}

/** The pitfall a wrong token list points to, when the tokens alone show it. */
function diagnose(expected: readonly Token[], actual: readonly Token[], at: number): string | undefined {
  const symbols = new Set(expected.map((t) => t.element));
  for (const t of actual) {
    if (/^[a-z]/.test(t.element)) return "formula-single-letter-elements";
    if (!symbols.has(t.element) && t.element.length === 1 && [...symbols].some((s) => s.length === 2 && s[0] === t.element)) {
      return "formula-single-letter-elements";
    }
  }
  if (new Set(actual.map((t) => t.element)).size < actual.length) return "formula-duplicates-not-merged";
  const e = expected[at];
  const a = actual[at];
  if (e !== undefined && a !== undefined && e.element === a.element && !Number.isInteger(e.amount) && a.amount === Math.trunc(e.amount)) {
    return "formula-fraction-truncated";
  }
  return undefined;
}

function describe(v: WireValue | undefined): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length} whose items are not all { element: string, amount: number }`;
  return typeof v === "object" ? "an object" : typeof v;
}

function compareFormula(expectedValue: WireValue, actualValue: WireValue): CompareVerdict {
  const expected = asTokens(expectedValue) ?? [];
  const actual = asTokens(actualValue);
  if (actual === null) {
    return {
      ok: false,
      message: {
        ja: `{ element: string, amount: number } の配列を返してください。返された値: ${describe(actualValue)}`,
        en: `return an array of { element: string, amount: number }; got ${describe(actualValue)}`,
      },
    };
  }
  const at = firstDifference(expected, actual);
  if (at < 0) return { ok: true };
  const pitfall = diagnose(expected, actual, at);
  return {
    ok: false,
    message: {
      ja: `トークン ${at} 番目が違います: 期待 ${show(expected[at])}、実際 ${show(actual[at])}。期待: ${showAll(expected)} / 実際: ${showAll(actual)}`,
      en: `token ${at} differs: expected ${show(expected[at])}, got ${show(actual[at])}; expected: ${showAll(expected)} / actual: ${showAll(actual)}`,
    },
    ...(pitfall !== undefined ? { pitfall } : {}),
  };
}

// ---------------------------------------------------------------- invariants

function mergeTokens(...lists: (readonly Token[])[]): Token[] {
  const out: Token[] = [];
  for (const list of lists) {
    for (const t of list) {
      const seen = out.find((o) => o.element === t.element);
      if (seen !== undefined) seen.amount += t.amount;
      else out.push({ ...t });
    }
  }
  return out;
}

const scale = (ts: readonly Token[], k: number): Token[] => ts.map((t) => ({ element: t.element, amount: t.amount * k }));

type Call = (args: WireValue[]) => Promise<WireValue>;

async function tokensOf(call: Call, formula: string): Promise<Token[] | InvariantOutcome> {
  const tokens = asTokens(await call([formula]));
  if (tokens !== null) return tokens;
  return {
    ok: false,
    message: {
      ja: `${JSON.stringify(formula)} に対して { element, amount } の配列が返されませんでした`,
      en: `no array of { element, amount } was returned for ${JSON.stringify(formula)}`,
    },
  };
}

const isOutcome = (v: Token[] | InvariantOutcome): v is InvariantOutcome => !Array.isArray(v);

/** A result with one element twice is explained by the missing merge before anything else. */
function mismatch(formula: string, want: readonly Token[], got: readonly Token[], rule: Localized, pitfall?: string): InvariantOutcome {
  const repeated = new Set(got.map((t) => t.element)).size < got.length;
  if (repeated) pitfall = "formula-duplicates-not-merged";
  return {
    ok: false,
    message: {
      ja: `${rule.ja}。${JSON.stringify(formula)} は ${showAll(want)} になるはずが ${showAll(got)} でした`,
      en: `${rule.en}: ${JSON.stringify(formula)} should give ${showAll(want)} but gave ${showAll(got)}`,
    },
    ...(pitfall !== undefined ? { pitfall } : {}),
  };
}

const RICH: FormulaStyle = { items: [2, 4], groups: 0.3, fractions: 0.15, repeats: 0.2 };

const reserialises: InvariantDef = {
  id: "composition-inv-reserialise",
  name: name("トークンを式に書き戻して読み直すと同じ組成になる", "writing the tokens back as a formula and reading it again gives the same composition"),
  async run({ rng, call }) {
    for (let k = 0; k < 10; k++) {
      const formula = k % 3 === 0 ? randomHydrate(rng, RICH) : randomPart(rng, RICH);
      const tokens = await tokensOf(call, formula);
      if (isOutcome(tokens)) return tokens;
      const written = tokens.map((t) => `${t.element}${t.amount}`).join("");
      const again = await tokensOf(call, written);
      if (isOutcome(again)) return again;
      if (firstDifference(tokens, again) >= 0) {
        return mismatch(written, tokens, again, {
          ja: `${JSON.stringify(formula)} のトークンを書き戻した式は元と同じ組成のはずです`,
          en: `the tokens of ${JSON.stringify(formula)}, written back as a formula, must give the same composition`,
        });
      }
    }
    return { ok: true };
  },
};

const groupScales: InvariantDef = {
  id: "composition-inv-group-multiplier",
  name: name("(A)k の量は A の量の k 倍", "the amounts of (A)k are k times those of A"),
  async run({ rng, call }) {
    for (let n = 0; n < 8; n++) {
      const inner = randomPart(rng, { ...RICH, fractions: 0 });
      const k = rng.pick([2, 3, 4, 6, 12]);
      const [open, close] = n % 2 === 0 ? ["(", ")"] : ["[", "]"];
      const formula = `${open}${inner}${close}${k}`;
      const base = await tokensOf(call, inner);
      if (isOutcome(base)) return base;
      const got = await tokensOf(call, formula);
      if (isOutcome(got)) return got;
      const want = scale(base, k);
      if (firstDifference(want, got) >= 0) {
        return mismatch(formula, want, got, { ja: "括弧の後ろの数は括弧の中のすべての元素に掛かります", en: "the number after a bracket multiplies every element inside it" }, "formula-group-multiplier-ignored");
      }
    }
    return { ok: true };
  },
};

const hydrateAdds: InvariantDef = {
  id: "composition-inv-hydrate",
  name: name("A·kB の組成は A の組成 + k × B の組成", "the composition of A·kB is that of A plus k times that of B"),
  async run({ rng, call }) {
    for (let n = 0; n < 8; n++) {
      const a = randomPart(rng, RICH);
      const b = rng.random() < 0.5 ? "H2O" : randomPart(rng, { ...RICH, items: [1, 3] });
      const k = rng.pick([1, 2, 3, 5, 10]);
      const separator = k === 1 ? rng.pick(["·", "*", "."]) : rng.pick(["·", "*"]);
      const formula = `${a}${separator}${k === 1 ? "" : k}${b}`;
      const ta = await tokensOf(call, a);
      if (isOutcome(ta)) return ta;
      const tb = await tokensOf(call, b);
      if (isOutcome(tb)) return tb;
      const got = await tokensOf(call, formula);
      if (isOutcome(got)) return got;
      const want = mergeTokens(ta, scale(tb, k));
      if (firstDifference(want, got) >= 0) {
        return mismatch(formula, want, got, { ja: "水和物の区切りの後の数はその部分全体に掛かり、結果は前の部分と合算されます", en: "the number after a hydrate separator multiplies that whole part, which adds to the part before it" }, "formula-hydrate-ignored");
      }
    }
    return { ok: true };
  },
};

const concatenationMerges: InvariantDef = {
  id: "composition-inv-concat-merges",
  name: name("AB の組成は A と B の組成を (初出順に) 合算したもの", "the composition of AB is those of A and B merged (in order of first appearance)"),
  async run({ rng, call }) {
    for (let n = 0; n < 8; n++) {
      const shared = [rng.pick(COMMON)];
      const a = randomPart(rng, { ...RICH, repeats: 0.3 }, 0, shared);
      const b = randomPart(rng, { ...RICH, repeats: 0.5 }, 0, shared);
      const ta = await tokensOf(call, a);
      if (isOutcome(ta)) return ta;
      const tb = await tokensOf(call, b);
      if (isOutcome(tb)) return tb;
      const got = await tokensOf(call, a + b);
      if (isOutcome(got)) return got;
      const want = mergeTokens(ta, tb);
      if (firstDifference(want, got) >= 0) {
        return mismatch(a + b, want, got, {
          ja: "同じ元素は 1 つのトークンにまとめ、最初に現れた順に並べます",
          en: "equal elements are merged into one token, in order of first appearance",
        });
      }
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------- cases

/** Every symbol of the periodic table, in order: a list that misses one fails the public tests. */
const ALL_ELEMENTS =
  "HHeLiBeBCNOFNeNaMgAlSiPSClArKCaScTiVCrMnFeCoNiCuZnGaGeAsSeBrKrRbSrYZrNbMoTcRuRhPdAgCdInSnSbTeIXeCsBaLaCePrNdPmSm" +
  "EuGdTbDyHoErTmYbLuHfTaWReOsIrPtAuHgTlPbBiPoAtRnFrRaAcThPaUNpPuAmCmBkCfEsFmMdNoLrRfDbSgBhHsMtDsRgCnNhFlMcLvTsOg";

const fixed = (id: string, kind: "public" | "pitfall", ja: string, en: string, formula: string): CaseDef => ({
  id,
  kind,
  name: name(`${ja}: ${JSON.stringify(formula)}`, `${en}: ${JSON.stringify(formula)}`),
  make: () => [formula],
});

const hidden = (id: string, ja: string, en: string, make: (rng: Rng) => string): CaseDef => ({
  id,
  kind: "hidden",
  name: name(ja, en),
  make: ({ rng }) => [make(rng)],
});

const cases: CaseDef[] = [
  fixed("composition-llzo", "public", "2 文字の元素と 2 桁の量 (LLZO)", "two-letter elements and two-digit amounts (LLZO)", "Li7La3Zr2O12"),
  fixed("composition-hydroxide", "public", "括弧の展開 (水酸化カルシウム)", "expanding brackets (calcium hydroxide)", "Ca(OH)2"),
  fixed("composition-fraction", "public", "小数の量", "a fractional amount", "Li0.5CoO2"),
  fixed("composition-hydrate", "public", "水和物 (中点)", "a hydrate (middle dot)", "CuSO4·5H2O"),
  fixed("composition-hydrate-star", "public", "水和物 (* 区切り)", "a hydrate (* separator)", "CuSO4*5H2O"),
  fixed("composition-hydrate-dot", "public", "水和物 (. 区切り、後ろが数字でない)", "a hydrate ('.' not followed by a digit)", "Na2CO3.H2O"),
  fixed("composition-nested", "public", "入れ子の括弧と角括弧", "nested round and square brackets", "K4[Fe(CN)6]"),
  fixed("composition-merge", "public", "同じ元素をまとめる (酢酸)", "merging equal elements (acetic acid)", "CH3COOH"),
  fixed("composition-error-empty", "public", "空の式はエラー", "an empty formula is an error", ""),
  fixed("composition-error-unknown", "public", "存在しない元素はエラー", "an unknown element is an error", "Xx2"),
  fixed("composition-error-parenthesis", "public", "閉じていない括弧はエラー", "an unclosed bracket is an error", "Ca(OH2"),
  fixed("composition-error-character", "public", "使えない文字はエラー", "a character formulas cannot contain is an error", "H2O!"),
  fixed("composition-every-element", "public", "118 個の元素記号すべてを 1 つずつ", "each of the 118 element symbols once", ALL_ELEMENTS),
  fixed("composition-digit-nine", "public", "量に 9 を含む (アスピリン)", "an amount with the digit 9 (aspirin)", "C9H8O4"),
  fixed("composition-group-then-element", "public", "数のない括弧のすぐ後に元素 (ヘキサアンミンコバルト(III) 塩化物)", "a bracket with no number, followed by an element (hexaamminecobalt(III) chloride)", "[Co(NH3)6]Cl3"),
  fixed("composition-single-element", "public", "1 文字だけの式 (酸素原子)", "a one-character formula (an oxygen atom)", "O"),
  fixed("composition-error-middle-dot-in-brackets", "public", "区切り · は式を部分に分けるので、括弧の中にあると括弧が閉じない", "the separator · splits the formula into parts, so inside brackets it leaves the bracket unclosed", "Ca(OH·H2O)2"),
  fixed("composition-error-star-in-brackets", "public", "区切り * も括弧の中にあると括弧が閉じない", "the separator * inside brackets also leaves the bracket unclosed", "Ca(OH*H2O)2"),
  fixed("composition-error-empty-brackets", "public", "空の括弧はエラー", "empty brackets are an error", "Ca()"),
  fixed("composition-error-empty-part", "public", "区切りの後が空ならエラー", "an empty part after a separator is an error", "CuSO4·"),
  fixed("composition-error-double-separator", "public", "区切りが 2 つ続く (間の部分が空) ならエラー", "two separators in a row (an empty part between them) are an error", "Na2CO3..H2O"),
  fixed("composition-error-wrong-closer", "public", "別の種類の括弧で閉じるとエラー", "a bracket closed by the other kind is an error", "K4[Fe(CN)6)"),
  fixed("composition-error-unknown-lowercase", "public", "小文字は必ず記号の一部: Cz は存在しない元素", "a small letter always belongs to the symbol: Cz is an unknown element", "Cz3"),
  fixed("composition-pitfall-two-letter", "pitfall", "Na と Cl を 1 文字ずつに分けない", "Na and Cl must not split into letters", "NaCl"),
  fixed("composition-pitfall-group", "pitfall", "括弧の後ろの数は括弧全体に掛かる", "the number after a bracket multiplies all of it", "Al2(SO4)3"),
  fixed("composition-pitfall-hydrate", "pitfall", "水和物の係数は水全体に掛かる", "the hydrate coefficient multiplies the whole water part", "MgSO4·7H2O"),
  fixed("composition-pitfall-fraction", "pitfall", "小数の量を整数にしない", "fractional amounts stay fractional", "La0.6Sr0.4MnO3"),
  fixed("composition-pitfall-merge", "pitfall", "同じ元素は 1 トークンにまとめる", "equal elements become one token", "CH3CH2OH"),
  hidden("composition-hidden-simple", "実在の材料 (括弧なし)", "a real material (no brackets)", (rng) => pickMaterial(rng, "simple")),
  hidden("composition-hidden-group", "実在の材料 (括弧あり)", "a real material (brackets)", (rng) => pickMaterial(rng, "group")),
  hidden("composition-hidden-fraction", "実在の材料 (小数の量)", "a real material (fractional amounts)", (rng) => pickMaterial(rng, "fraction")),
  hidden("composition-hidden-hydrate", "実在の水和物", "a real hydrate", (rng) => pickMaterial(rng, "hydrate")),
  hidden("composition-hidden-any", "一覧から任意の材料", "any material of the list", (rng) => pickMaterial(rng, null)),
  hidden("composition-hidden-random-plain", "ランダムな式 (括弧なし)", "random formula (no brackets)", (rng) => randomPart(rng, { ...PLAIN, items: [1, 6] })),
  hidden("composition-hidden-random-nested", "ランダムな式 (入れ子の括弧)", "random formula (nested brackets)", (rng) => randomPart(rng, { ...PLAIN, groups: 0.5 })),
  hidden("composition-hidden-random-fraction", "ランダムな式 (小数)", "random formula (decimals)", (rng) => randomPart(rng, { ...PLAIN, groups: 0.3, fractions: 0.5 })),
  hidden("composition-hidden-random-hydrate", "ランダムな水和物", "random hydrate", (rng) => randomHydrate(rng, { ...PLAIN, groups: 0.2 })),
  hidden("composition-hidden-random-repeats", "ランダムな式 (同じ元素が何度も現れる)", "random formula (elements repeat)", (rng) => randomPart(rng, { ...PLAIN, items: [4, 7], groups: 0.2, repeats: 0.6 })),
  hidden("composition-hidden-error-empty", "空の式・空の部分", "an empty formula or part", (rng) => rng.pick(["", "CuSO4·", "()", "Fe2O3*", "Ca[]2"])),
  hidden("composition-hidden-error-unknown", "存在しない元素", "an unknown element", (rng) => rng.pick(["Xx2", "Q", "LiAbO2", "Zz3O", "Fe2Ox3", "Jn"])),
  hidden("composition-hidden-error-parenthesis", "括弧の対応の誤り", "unbalanced brackets", (rng) => rng.pick(["Ca(OH2", "Ca(OH)2)", "K4[Fe(CN)6)", "Mg)OH(2", "((CH3)2"])),
  hidden("composition-hidden-error-character", "使えない文字", "a character formulas cannot contain", (rng) => rng.pick(["H2O!", "NaCl?", "Fe2O3#", "CO2$", "H2O/"])),
];

export default defineExercise({
  cases,
  compare: compareFormula,
  invariants: [reserialises, groupScales, hydrateAdds, concatenationMerges],
});
