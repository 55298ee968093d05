import { type Localized, type WireTensor, type WireValue, isWireTensor } from "@tfm/contract";
import { type CaseDef, type CompareVerdict, type Rng, defineExercise, fromValues } from "@tfm/spec";
import { type Placed, type Rgb, SvgError, apply, firstCoordinate, flatten, lightness, parseLength, parseXml, textContent, visibleColour } from "@tfm/spec/svg";

const name = (ja: string, en: string): Localized => ({ ja, en });

// ---------------------------------------------------------------- cases

/** Softmax of each row of a [tq, tk] score matrix, rounded to float32 like a tensor would hold it. */
function softmaxRows(scores: number[][]): number[] {
  const out: number[] = [];
  for (const row of scores) {
    const max = Math.max(...row);
    const e = row.map((s) => Math.exp(s - max));
    const sum = e.reduce((a, b) => a + b, 0);
    for (const v of e) out.push(Math.fround(v / sum));
  }
  return out;
}

function randomWeights(rng: Rng, tq: number, tk: number, spread: number, causal = false): WireTensor {
  const scores = Array.from({ length: tq }, (_, i) =>
    Array.from({ length: tk }, (_, j) => (causal && j > i ? -1e9 : rng.normal() * spread)),
  );
  return fromValues("float32", [tq, tk], softmaxRows(scores));
}

/** SMILES tokens (the chapter's tokenizer pattern) for hidden cases. */
const TOKENS = ["C", "c", "N", "n", "O", "o", "S", "F", "Cl", "Br", "[nH]", "[C@@H]", "[O-]", "=", "#", "(", ")", "1", "2", "%10", "H"];

function tokens(rng: Rng, n: number): string[] {
  return Array.from({ length: n }, () => rng.pick(TOKENS));
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const ETHANOL = ["C", "C", "O"];
const CHAPTER = ["H", "C", "C", "O", "H"];
const METHANOL = ["C", "H", "H", "H", "O", "H"];
const ACETIC_ACID = ["C", "C", "(", "=", "O", ")", "O"];

const cases: CaseDef[] = [
  {
    id: "heatmap-ethanol",
    kind: "public",
    name: name("エタノール CCO の自己注意 (3×3、問題文の例)", "self-attention of ethanol CCO (3 x 3, the statement's example)"),
    make: () => [fromValues("float32", [3, 3], [0.2, 0.5, 0.3, 0.4, 0.2, 0.4, 0.1, 0.7, 0.2]), ETHANOL, ETHANOL],
  },
  {
    id: "heatmap-chapter-tokens",
    kind: "public",
    name: name("章の可視化の例: トークン H, C, C, O, H", "the chapter's plot: tokens H, C, C, O, H"),
    make: ({ rng }) => [randomWeights(rng, 5, 5, 1.5), CHAPTER, CHAPTER],
  },
  {
    id: "heatmap-cross",
    kind: "public",
    name: name("クエリ CCO、キー メタノール (3×6)", "queries CCO, keys methanol (3 x 6)"),
    make: ({ rng }) => [randomWeights(rng, 3, 6, 1.5), ETHANOL, METHANOL],
  },
  {
    id: "heatmap-single",
    kind: "public",
    name: name("トークン 1 個 (重み 1)", "a single token (weight 1)"),
    make: () => [fromValues("float32", [1, 1], [1]), ["O"], ["O"]],
  },
  {
    id: "heatmap-causal",
    kind: "public",
    name: name("因果マスク付き: 酢酸 CC(=O)O の 7 トークン", "with a causal mask: the 7 tokens of acetic acid CC(=O)O"),
    make: ({ rng }) => [randomWeights(rng, 7, 7, 1.5, true), ACETIC_ACID, ACETIC_ACID],
  },
  {
    id: "heatmap-escaped-labels",
    kind: "public",
    name: name("XML でエスケープが必要なラベル (&、<、>、\"): 特殊トークン <s>、反応の >", "labels XML needs escaped (&, <, >, \"): special tokens such as <s>, a reaction's >"),
    make: ({ rng }) => [randomWeights(rng, 4, 4, 1.5), ["<s>", "C", ">", "</s>"], ["A&B", "x<y>z", '"O"', "&amp;"]],
  },
  {
    id: "heatmap-tall",
    kind: "pitfall",
    name: name("行がクエリ: クエリ 5 個、キー 2 個", "rows are queries: 5 queries, 2 keys"),
    make: ({ rng }) => [randomWeights(rng, 5, 2, 1.5), CHAPTER, ["C", "O"]],
  },
  {
    id: "heatmap-asymmetric",
    kind: "pitfall",
    name: name("非対称な重み (行と列を取り違えると色がずれる)", "asymmetric weights (swapping rows and columns shows in the colours)"),
    make: () => [fromValues("float32", [3, 3], [0.9, 0.05, 0.05, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8]), ETHANOL, ETHANOL],
  },
  {
    id: "heatmap-labels",
    kind: "pitfall",
    name: name("ラベル: クエリは行に、キーは列に", "labels: queries on the rows, keys on the columns"),
    make: ({ rng }) => [randomWeights(rng, 4, 3, 1.5), ["C", "C", "O", "H"], ["O", "C", "H"]],
  },
  {
    id: "heatmap-contrast",
    kind: "pitfall",
    name: name("濃淡: 重み 0.02〜0.9", "shading: weights from 0.02 to 0.9"),
    make: () => [fromValues("float32", [2, 4], [0.9, 0.05, 0.03, 0.02, 0.1, 0.2, 0.3, 0.4]), ["C", "O"], ["C", "C", "O", "H"]],
  },
  hidden("heatmap-hidden-random-1", "ランダム 1", "random 1", (rng) => {
    const [tq, tk] = [rng.int(2, 9), rng.int(2, 9)];
    return [randomWeights(rng, tq, tk, 1.5), tokens(rng, tq), tokens(rng, tk)];
  }),
  hidden("heatmap-hidden-random-2", "ランダム 2", "random 2", (rng) => {
    const [tq, tk] = [rng.int(2, 9), rng.int(2, 9)];
    return [randomWeights(rng, tq, tk, 2.5), tokens(rng, tq), tokens(rng, tk)];
  }),
  hidden("heatmap-hidden-self", "自己注意 (同じトークン)", "self-attention (same tokens)", (rng) => {
    const t = rng.int(2, 10);
    const tok = tokens(rng, t);
    return [randomWeights(rng, t, t, 1.5), tok, tok];
  }),
  hidden("heatmap-hidden-causal", "因果マスク付き", "with a causal mask", (rng) => {
    const t = rng.int(2, 10);
    const tok = tokens(rng, t);
    return [randomWeights(rng, t, t, 1.5, true), tok, tok];
  }),
  hidden("heatmap-hidden-one-query", "クエリ 1 個", "one query", (rng) => {
    const tk = rng.int(2, 10);
    return [randomWeights(rng, 1, tk, 1.5), tokens(rng, 1), tokens(rng, tk)];
  }),
  hidden("heatmap-hidden-one-key", "キー 1 個 (重みはすべて 1)", "one key (every weight 1)", (rng) => {
    const tq = rng.int(2, 8);
    return [randomWeights(rng, tq, 1, 1), tokens(rng, tq), tokens(rng, 1)];
  }),
  hidden("heatmap-hidden-peaked", "鋭い重み (ほぼ one-hot)", "peaked weights (nearly one-hot)", (rng) => {
    const t = rng.int(3, 8);
    const tok = tokens(rng, t);
    return [randomWeights(rng, t, t, 5), tok, tok];
  }),
  hidden("heatmap-hidden-flat", "平らな重み", "flat weights", (rng) => {
    const [tq, tk] = [rng.int(2, 7), rng.int(2, 7)];
    return [randomWeights(rng, tq, tk, 0.3), tokens(rng, tq), tokens(rng, tk)];
  }),
  hidden("heatmap-hidden-large", "12×12", "12 x 12", (rng) => {
    const tok = tokens(rng, 12);
    return [randomWeights(rng, 12, 12, 2), tok, tok];
  }),
  hidden("heatmap-hidden-chapter", "H, C, C, O, H", "H, C, C, O, H", (rng) => [randomWeights(rng, 5, 5, 2), CHAPTER, CHAPTER]),
];

// ---------------------------------------------------------------- reading the student's SVG

interface Cell {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  lightness: number;
  colour: Rgb;
  line: number;
}

interface Label {
  text: string;
  x: number;
  y: number;
  line: number;
}

/** Positions closer than this (user units) count as the same row or column. */
const SAME = 0.01;
/** A heavier weight may look lighter by at most this much L* (8-bit rounding of the channels). */
const MONOTONE_SLACK = 0.6;
/**
 * Weights CONTRAST_STEP or more apart must differ by at least MIN_CONTRAST in L* (0 = black, 100 =
 * white). A step of 0.2, not 0.1: a white-to-colour scale flattens in L* near its colour, and over
 * 0.1 the statement's own white-to-blue example differs by only 1.93 (white to red by 0.85) at the
 * top; over 0.2 they differ by 6.1 and 2.7, while scales that stay nearly white (to yellow, cyan,
 * lime) still fail (test/heatmap-contrast.test.ts).
 */
const MIN_CONTRAST = 2;
const CONTRAST_STEP = 0.2;
/** How close to 0 and to 1 the lightest and heaviest weights must be to judge the whole scale reversed. */
const SCALE_END = 0.1;
/** The widest band of weights that may go unseen when judging the whole scale reversed. */
const SCALE_GAP = 0.25;

type Verdict = CompareVerdict;

function failure(message: Localized, pitfall?: string): Verdict {
  return pitfall === undefined ? { ok: false, message } : { ok: false, message, pitfall };
}

function distinct(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (const v of sorted) if (out.length === 0 || v - (out[out.length - 1] as number) > SAME) out.push(v);
  return out;
}

/** The index of the position v rounds to (a loop, not a callback made per cell: see packages/spec/src/svg.ts's helpers). */
function rankOf(sortedDistinct: number[], v: number): number {
  for (let i = 0; i < sortedDistinct.length; i++) if (Math.abs((sortedDistinct[i] as number) - v) <= SAME) return i;
  return -1;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function readCell(p: Placed, index: number): Cell {
  const a = p.el.attrs;
  const what = `<rect class="cell"> #${index + 1} (line ${p.el.line})`;
  const x = firstCoordinate(a.x, `${what} x`);
  const y = firstCoordinate(a.y, `${what} y`);
  if (a.width === undefined || a.height === undefined) {
    throw new SvgError(
      name(`<rect class="cell"> (${p.el.line} 行) に width と height がありません`, `<rect class="cell"> (line ${p.el.line}) needs a width and a height`),
    );
  }
  const w = parseLength(a.width, `${what} width`);
  const h = parseLength(a.height, `${what} height`);
  if (!(w > 0 && h > 0)) {
    throw new SvgError(name(`<rect class="cell"> (${p.el.line} 行) の幅と高さは正の数にしてください`, `<rect class="cell"> (line ${p.el.line}) must have a positive width and height`));
  }
  const m = p.transform;
  if (Math.abs(m[1]) > 1e-9 || Math.abs(m[2]) > 1e-9) {
    throw new SvgError(name(`<rect class="cell"> (${p.el.line} 行) が回転・傾斜しています。セルは軸に沿った長方形にしてください`, `<rect class="cell"> (line ${p.el.line}) is rotated or skewed; cells must be axis-aligned rectangles`));
  }
  const [ax, ay] = apply(m, x, y);
  const [bx, by] = apply(m, x + w, y + h);
  let colour: Rgb;
  try {
    colour = visibleColour(p);
  } catch (e) {
    if (!(e instanceof SvgError)) throw e;
    throw new SvgError(name(`<rect class="cell"> (${p.el.line} 行) の色: ${e.detail.ja}`, `the colour of <rect class="cell"> (line ${p.el.line}): ${e.detail.en}`));
  }
  return { x0: Math.min(ax, bx), y0: Math.min(ay, by), x1: Math.max(ax, bx), y1: Math.max(ay, by), colour, lightness: lightness(colour), line: p.el.line };
}

function readLabel(p: Placed): Label {
  const x = firstCoordinate(p.el.attrs.x, `<text> (line ${p.el.line}) x`);
  const y = firstCoordinate(p.el.attrs.y, `<text> (line ${p.el.line}) y`);
  const [ax, ay] = apply(p.transform, x, y);
  return { text: textContent(p.el).trim(), x: ax, y: ay, line: p.el.line };
}

function argsOf(args: readonly WireValue[]): { w: number[][]; q: string[]; k: string[] } {
  const t = args[0];
  const q = args[1];
  const k = args[2];
  if (!isWireTensor(t) || !Array.isArray(q) || !Array.isArray(k)) throw new Error("attention-heatmap: arguments must be (weights, queryTokens, keyTokens)");
  const [tq, tk] = t.$tensor.shape as [number, number];
  const data = t.$tensor.data;
  const w = Array.from({ length: tq }, (_, i) => Array.from({ length: tk }, (_, j) => data[i * tk + j] as number));
  return { w, q: q.map(String), k: k.map(String) };
}

/** Cells placed in their grid: grid[row][col], or a verdict that explains why they are not a grid. */
function layOut(cells: Cell[], tq: number, tk: number, q: string[], k: string[]): Cell[][] | Verdict {
  const n = cells.length;
  if (n !== tq * tk) {
    if (n === tq && tk > 1) {
      return failure(
        name(
          `<rect class="cell"> が ${n} 個 (クエリごとに 1 個) しかありません。重み 1 つにつき 1 セル、T_q × T_k = ${tq} × ${tk} = ${tq * tk} 個が必要です`,
          `there are ${n} <rect class="cell"> (one per query); a heatmap needs one cell per weight: T_q x T_k = ${tq} x ${tk} = ${tq * tk}`,
        ),
        "heatmap-one-cell-per-row",
      );
    }
    return failure(
      name(`<rect class="cell"> が ${n} 個あります。重み 1 つにつき 1 セル、${tq} × ${tk} = ${tq * tk} 個が必要です`, `there are ${n} <rect class="cell">; one per weight is needed: ${tq} x ${tk} = ${tq * tk}`),
    );
  }
  const xs = distinct(cells.map((c) => c.x0));
  const ys = distinct(cells.map((c) => c.y0));
  if (ys.length !== tq || xs.length !== tk) {
    if (ys.length === tk && xs.length === tq) {
      return failure(
        name(
          `セルが ${tk} 行 × ${tq} 列に並んでいます。行はクエリ (${tq} 個: ${q.join(" ")})、列はキー (${tk} 個: ${k.join(" ")}) です`,
          `the cells form ${tk} rows x ${tq} columns; the rows are the queries (${tq}: ${q.join(" ")}) and the columns the keys (${tk}: ${k.join(" ")})`,
        ),
        "heatmap-axes-swapped",
      );
    }
    return failure(
      name(
        `セルは T_q = ${tq} 行 (各行のセルは同じ y) × T_k = ${tk} 列 (各列のセルは同じ x) の格子に並べてください。y の値が ${ys.length} 種類、x の値が ${xs.length} 種類ありました`,
        `the cells must form a grid of T_q = ${tq} rows (one y per row) by T_k = ${tk} columns (one x per column); found ${ys.length} different y and ${xs.length} different x positions`,
      ),
    );
  }
  const grid: (Cell | undefined)[][] = Array.from({ length: tq }, () => new Array<Cell | undefined>(tk).fill(undefined));
  for (const c of cells) {
    const r = rankOf(ys, c.y0);
    const col = rankOf(xs, c.x0);
    const row = grid[r] as (Cell | undefined)[];
    const other = row[col];
    if (other !== undefined) {
      return failure(
        name(`行 ${r}、列 ${col} にセルが 2 つあります (${other.line} 行目と ${c.line} 行目)`, `two cells sit at row ${r}, column ${col} (lines ${other.line} and ${c.line})`),
      );
    }
    row[col] = c;
  }
  const full = grid as Cell[][];
  for (let r = 0; r + 1 < tq; r++) {
    const bottom = Math.max(...(full[r] as Cell[]).map((c) => c.y1));
    const nextTop = Math.min(...(full[r + 1] as Cell[]).map((c) => c.y0));
    if (bottom > nextTop + SAME) return failure(name(`行 ${r} と行 ${r + 1} のセルが重なっています`, `the cells of rows ${r} and ${r + 1} overlap`));
  }
  for (let col = 0; col + 1 < tk; col++) {
    const right = Math.max(...full.map((row) => (row[col] as Cell).x1));
    const nextLeft = Math.min(...full.map((row) => (row[col + 1] as Cell).x0));
    if (right > nextLeft + SAME) return failure(name(`列 ${col} と列 ${col + 1} のセルが重なっています`, `the cells of columns ${col} and ${col + 1} overlap`));
  }
  return full;
}

interface ColourProblem {
  kind: "inverted" | "order" | "contrast";
  a: [number, number];
  b: [number, number];
}

/**
 * Checks that lightness falls as the weight grows; `weightAt` lets the caller try the transpose.
 * Cells sorted by weight are swept once: each is compared with the extreme lightness among the
 * clearly lighter-weighted cells before it (n log n, not n² pairs).
 */
function colourProblem(grid: Cell[][], weightAt: (r: number, c: number) => number): ColourProblem | null {
  const cells: { r: number; c: number; w: number; l: number }[] = [];
  grid.forEach((row, r) => row.forEach((cell, c) => cells.push({ r, c, w: weightAt(r, c), l: cell.lightness })));
  cells.sort((a, b) => a.w - b.w);
  type Seen = { l: number; at: [number, number] };
  let lightest: Seen | null = null; // among cells with w < current w (by more than 1e-6)
  let darkest: Seen | null = null;
  let wellBelow: Seen | null = null; // the darkest among cells with w <= current w - CONTRAST_STEP
  let worst: { gap: number; a: [number, number]; b: [number, number] } | null = null;
  let heavierDarker = false;
  let contrast: { a: [number, number]; b: [number, number] } | null = null;
  let lighter = 0;
  let contrastIdx = 0;
  for (const a of cells) {
    while (lighter < cells.length && (cells[lighter] as (typeof cells)[number]).w < a.w - 1e-6) {
      const b = cells[lighter] as (typeof cells)[number];
      if (lightest === null || b.l > lightest.l) lightest = { l: b.l, at: [b.r, b.c] };
      if (darkest === null || b.l < darkest.l) darkest = { l: b.l, at: [b.r, b.c] };
      lighter++;
    }
    while (contrastIdx < cells.length && (cells[contrastIdx] as (typeof cells)[number]).w <= a.w - CONTRAST_STEP) {
      const b = cells[contrastIdx] as (typeof cells)[number];
      if (wellBelow === null || b.l < wellBelow.l) wellBelow = { l: b.l, at: [b.r, b.c] };
      contrastIdx++;
    }
    // a is heavier than every cell counted so far: it must be at least as dark (lower L*).
    if (darkest !== null && a.l > darkest.l + MONOTONE_SLACK) {
      const gap = a.l - darkest.l;
      if (worst === null || gap > worst.gap) worst = { gap, a: [a.r, a.c], b: darkest.at };
    }
    if (lightest !== null && a.l < lightest.l - MONOTONE_SLACK) heavierDarker = true;
    if (contrast === null && wellBelow !== null && wellBelow.l - a.l < MIN_CONTRAST && !(a.l > wellBelow.l + MONOTONE_SLACK)) contrast = { a: [a.r, a.c], b: wellBelow.at };
  }
  if (worst !== null) return { kind: heavierDarker ? "order" : "inverted", a: worst.a, b: worst.b };
  if (contrast !== null) return { kind: "contrast", ...contrast };
  return null;
}

function cellName(r: number, c: number, q: string[], k: string[]): Localized {
  return name(`行 ${r} (クエリ '${q[r]}')、列 ${c} (キー '${k[c]}') のセル`, `the cell in row ${r} (query '${q[r]}'), column ${c} (key '${k[c]}')`);
}

function checkColours(grid: Cell[][], w: number[][], q: string[], k: string[]): Verdict | null {
  const problem = colourProblem(grid, (r, c) => (w[r] as number[])[c] as number);
  if (problem === null) return null;
  const square = grid.length === (grid[0]?.length ?? 0);
  if (square && colourProblem(grid, (r, c) => (w[c] as number[])[r] as number) === null) {
    return failure(
      name(
        "色が weights[j][i] の順に並んでいます: 行 i・列 j のセルに、クエリ j とキー i の重みが塗られています。行 = クエリ、列 = キーです",
        "the colours follow weights[j][i]: the cell in row i, column j shows the weight of query j and key i; rows are queries and columns keys",
      ),
      "heatmap-axes-swapped",
    );
  }
  const [ar, ac] = problem.a;
  const [br, bc] = problem.b;
  const A = (grid[ar] as Cell[])[ac] as Cell;
  const B = (grid[br] as Cell[])[bc] as Cell;
  const wa = (w[ar] as number[])[ac] as number;
  const wb = (w[br] as number[])[bc] as number;
  const an = cellName(ar, ac, q, k);
  const bn = cellName(br, bc, q, k);
  const pair = name(
    `${an.ja} (重み ${fmt(wa)}、明度 L* ${fmt(A.lightness)}) と ${bn.ja} (重み ${fmt(wb)}、明度 L* ${fmt(B.lightness)})`,
    `${an.en} (weight ${fmt(wa)}, lightness L* ${fmt(A.lightness)}) and ${bn.en} (weight ${fmt(wb)}, L* ${fmt(B.lightness)})`,
  );
  if (problem.kind === "inverted") {
    // Lightness rising with the weight where only some weights are seen is also what a rainbow
    // scale shows (blue to cyan gets lighter; a peaked row sees only dark blue and mid red): only
    // cells near both ends of [0, 1], with no wide band of weights unseen between them, show that
    // the whole scale runs the wrong way round, so only then is the reversed scale named.
    const weights = w.flat().sort((x, y) => x - y);
    const widestGap = weights.reduce((gap, x, i) => (i === 0 ? gap : Math.max(gap, x - (weights[i - 1] as number))), 0);
    const wholeScale = (weights[0] as number) <= SCALE_END && (weights[weights.length - 1] as number) >= 1 - SCALE_END && widestGap <= SCALE_GAP;
    return failure(
      name(`重みが大きいほど明るい色になっています: ${pair.ja}。重みが大きいほど暗く (重み 0 は白に) してください`, `larger weights are lighter: ${pair.en}; make larger weights darker (weight 0 white)`),
      wholeScale ? "heatmap-colour-inverted" : undefined,
    );
  }
  if (problem.kind === "order") {
    return failure(
      name(
        `色の明るさが重みの順になっていません: ${pair.ja} で、重い方が明るく見えます。1 つの色相の濃淡など、重みとともに明度が下がり続ける配色にしてください`,
        `the lightness of the colours does not follow the weights: ${pair.en}, and the heavier one looks lighter; use a scale whose lightness keeps falling as the weight grows, e.g. shades of one hue`,
      ),
      "heatmap-colour-not-monotonic",
    );
  }
  return failure(
    name(
      `重みが ${CONTRAST_STEP} 以上違うのに明度の差が ${MIN_CONTRAST} 未満です: ${pair.ja}。白から暗い色までの配色にして、差が見えるようにしてください`,
      `weights ${CONTRAST_STEP} or more apart differ by less than ${MIN_CONTRAST} in lightness: ${pair.en}; use a scale from white to a dark colour so the differences show`,
    ),
  );
}

function checkLabels(grid: Cell[][], labels: Label[], q: string[], k: string[]): Verdict | null {
  const tq = grid.length;
  const tk = grid[0]?.length ?? 0;
  const all = grid.flat();
  const left = Math.min(...all.map((c) => c.x0));
  const right = Math.max(...all.map((c) => c.x1));
  const top = Math.min(...all.map((c) => c.y0));
  const bottom = Math.max(...all.map((c) => c.y1));
  const rowSpan = (r: number): [number, number] => [Math.min(...(grid[r] as Cell[]).map((c) => c.y0)), Math.max(...(grid[r] as Cell[]).map((c) => c.y1))];
  const colSpan = (c: number): [number, number] => [Math.min(...grid.map((row) => (row[c] as Cell).x0)), Math.max(...grid.map((row) => (row[c] as Cell).x1))];
  const beside = (r: number): Label[] => {
    const [y0, y1] = rowSpan(r);
    return labels.filter((l) => l.y >= y0 - SAME && l.y <= y1 + SAME && (l.x <= left + SAME || l.x >= right - SAME));
  };
  const along = (c: number): Label[] => {
    const [x0, x1] = colSpan(c);
    return labels.filter((l) => l.x >= x0 - SAME && l.x <= x1 + SAME && (l.y <= top + SAME || l.y >= bottom - SAME));
  };
  const rowOk = (r: number, tok: string[]) => beside(r).some((l) => l.text === tok[r]);
  const colOk = (c: number, tok: string[]) => along(c).some((l) => l.text === tok[c]);
  const rowsMatch = (tok: string[]) => Array.from({ length: tq }, (_, r) => r).every((r) => rowOk(r, tok));
  const colsMatch = (tok: string[]) => Array.from({ length: tk }, (_, c) => c).every((c) => colOk(c, tok));
  if (rowsMatch(q) && colsMatch(k)) return null;
  if (tq === tk && q.join("\u0000") !== k.join("\u0000") && rowsMatch(k) && colsMatch(q)) {
    return failure(
      name("行にキーのトークン、列にクエリのトークンが付いています。行 = クエリ、列 = キーです", "the rows carry the key tokens and the columns the query tokens; rows are queries and columns keys"),
      "heatmap-axes-swapped",
    );
  }
  const found = (ls: Label[]) => (ls.length === 0 ? "-" : ls.map((l) => `'${l.text}'`).join(", "));
  for (let r = 0; r < tq; r++) {
    if (rowOk(r, q)) continue;
    const [y0, y1] = rowSpan(r);
    const there = beside(r);
    return failure(
      name(
        `行 ${r} (クエリ ${r}) にラベル '${q[r]}' がありません。y が ${fmt(y0)}〜${fmt(y1)} の範囲で、格子の左 (x ≤ ${fmt(left)}) か右 (x ≥ ${fmt(right)}) に <text>${q[r]}</text> を置いてください (そこにあったテキスト: ${found(there)})`,
        `row ${r} (query ${r}) has no label '${q[r]}': put <text>${q[r]}</text> with its y between ${fmt(y0)} and ${fmt(y1)}, left of the grid (x <= ${fmt(left)}) or right of it (x >= ${fmt(right)}) (text found there: ${found(there)})`,
      ),
      "heatmap-labels-missing",
    );
  }
  for (let c = 0; c < tk; c++) {
    if (colOk(c, k)) continue;
    const [x0, x1] = colSpan(c);
    const there = along(c);
    return failure(
      name(
        `列 ${c} (キー ${c}) にラベル '${k[c]}' がありません。x が ${fmt(x0)}〜${fmt(x1)} の範囲で、格子の上 (y ≤ ${fmt(top)}) か下 (y ≥ ${fmt(bottom)}) に <text>${k[c]}</text> を置いてください (そこにあったテキスト: ${found(there)})`,
        `column ${c} (key ${c}) has no label '${k[c]}': put <text>${k[c]}</text> with its x between ${fmt(x0)} and ${fmt(x1)}, above the grid (y <= ${fmt(top)}) or below it (y >= ${fmt(bottom)}) (text found there: ${found(there)})`,
      ),
      "heatmap-labels-missing",
    );
  }
  return null;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function compareHeatmap(_expected: WireValue, actual: WireValue, args: readonly WireValue[]): Verdict {
  const { w, q, k } = argsOf(args);
  const tq = w.length;
  const tk = w[0]?.length ?? 0;
  if (typeof actual !== "string") {
    return failure(name("SVG 文書を 1 つの文字列 (string) として返してください", "return the SVG document as one string"));
  }
  try {
    const root = parseXml(actual);
    if (root.name !== "svg") return failure(name(`ルート要素は <svg> にしてください (<${root.name}> でした)`, `the root element must be <svg> (got <${root.name}>)`));
    if (root.attrs.xmlns !== SVG_NS) {
      return failure(name(`<svg> に xmlns="${SVG_NS}" を付けてください`, `give <svg> the attribute xmlns="${SVG_NS}"`));
    }
    const placed = flatten(root);
    const rects = placed.filter((p) => p.el.name === "rect");
    const cellRects = rects.filter((p) => p.classes.includes("cell"));
    if (cellRects.length === 0) {
      return failure(
        name(
          `class="cell" の <rect> がありません (<rect> は ${rects.length} 個)。重みを表す各セルに class="cell" を付けてください`,
          `no <rect class="cell"> found (${rects.length} <rect> in all); mark every cell that shows a weight with class="cell"`,
        ),
      );
    }
    const grid = layOut(cellRects.map(readCell), tq, tk, q, k);
    if (!Array.isArray(grid)) return grid;
    const colours = checkColours(grid, w, q, k);
    if (colours !== null) return colours;
    const labels = checkLabels(grid, placed.filter((p) => p.el.name === "text").map(readLabel), q, k);
    if (labels !== null) return labels;
    return { ok: true };
  } catch (e) {
    if (e instanceof SvgError) return failure(name(`SVG を読めません: ${e.detail.ja}`, `cannot read the SVG: ${e.detail.en}`));
    throw e;
  }
}

export default defineExercise({ cases, compare: compareHeatmap });
