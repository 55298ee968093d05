import type { Localized } from "@tfm/contract";

/**
 * A small, strict XML parser and the SVG geometry and colour rules the grader needs to read a
 * student's SVG (attention heatmaps). No dependencies. Strict means: one root element, matched
 * tags, quoted attributes, no duplicate attributes, only the five predefined entities and numeric
 * character references, no DOCTYPE with an internal subset. Every problem is an SvgError with a
 * Japanese and an English message (XmlError adds the line and column), so a student learns
 * exactly where the document breaks.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  line: number;
}

export interface XmlText {
  text: string;
}

export type XmlNode = XmlElement | XmlText;

export class SvgError extends Error {
  constructor(readonly detail: Localized) {
    super(detail.en);
    this.name = "SvgError";
  }
}

export class XmlError extends SvgError {
  constructor(
    reason: Localized,
    readonly line: number,
    readonly column: number,
  ) {
    super({ ja: `${reason.ja} (${line} 行 ${column} 列)`, en: `${reason.en} (line ${line}, column ${column})` });
    this.name = "XmlError";
  }
}

const L = (ja: string, en: string): Localized => ({ ja, en });

export function isElement(n: XmlNode): n is XmlElement {
  return "name" in n;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const MAX_DEPTH = 64;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export function parseXml(src: string): XmlElement {
  let pos = 0;

  // Offsets where lines start, for line/column numbers in O(log n).
  const lineStarts = [0];
  for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const where = (at: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - (lineStarts[lo] as number) + 1 };
  };
  const fail = (reason: Localized, at = pos): never => {
    const w = where(at);
    throw new XmlError(reason, w.line, w.column);
  };
  const startsWith = (s: string): boolean => src.startsWith(s, pos);
  const skipSpace = (): void => {
    for (;;) {
      const c = src.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (m === null) return fail(L("名前 (要素名か属性名) が必要です", "expected a name (of an element or attribute)"));
    pos = NAME.lastIndex;
    return m[0];
  };
  const decode = (raw: string, at: number): string =>
    !raw.includes("&") ? raw : raw.replace(/&([^;&<\s]*);?/g, (match, body: string, offset: number) => {
      if (!match.endsWith(";")) {
        fail(L("'&' は &amp; のような実体参照の始まりにしか使えません (& は &amp; と書きます)", "'&' must start an entity such as &amp; (write & as &amp;)"), at + offset);
      }
      if (Object.hasOwn(ENTITIES, body)) return ENTITIES[body] as string;
      const num = /^#(\d+)$/.exec(body);
      const hex = /^#x([0-9A-Fa-f]+)$/.exec(body);
      const code = num ? Number(num[1]) : hex ? parseInt(hex[1] as string, 16) : NaN;
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff) {
        fail(
          L(`未知の実体参照 &${body}; (XML にあるのは &lt; &gt; &amp; &quot; &apos; と &#...; だけです)`, `unknown entity &${body}; (XML has only &lt; &gt; &amp; &quot; &apos; and &#...;)`),
          at + offset,
        );
      }
      return String.fromCodePoint(code);
    });
  const skipComment = (): void => {
    const end = src.indexOf("-->", pos + 4);
    if (end < 0) fail(L("コメント <!-- が閉じられていません", "unterminated comment <!--"));
    pos = end + 3;
  };
  const skipInstruction = (): void => {
    const end = src.indexOf("?>", pos + 2);
    if (end < 0) fail(L("処理命令 <? が閉じられていません", "unterminated processing instruction <?"));
    pos = end + 2;
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (startsWith("<!--")) skipComment();
      else if (startsWith("<?")) skipInstruction();
      else if (startsWith("<!DOCTYPE")) {
        const end = src.indexOf(">", pos);
        if (end < 0) fail(L("<!DOCTYPE が閉じられていません", "unterminated <!DOCTYPE"));
        if (src.slice(pos, end).includes("[")) fail(L("内部サブセット付きの DOCTYPE は受け付けません", "a DOCTYPE with an internal subset is not accepted"));
        pos = end + 1;
      } else return;
    }
  };

  const readElement = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail(L(`要素の入れ子が ${MAX_DEPTH} 段を超えています`, `elements are nested more than ${MAX_DEPTH} deep`));
    const open = pos;
    pos++; // '<'
    const name = readName();
    const el: XmlElement = { name, attrs: {}, children: [], line: where(open).line };
    for (;;) {
      const before = pos;
      skipSpace();
      if (startsWith("/>")) {
        pos += 2;
        return el;
      }
      if (startsWith(">")) {
        pos++;
        break;
      }
      if (pos >= src.length) fail(L(`<${name}> の開始タグが閉じられていません`, `the start tag <${name}> is never finished`));
      if (pos === before) fail(L(`<${name}> の中には空白、'>' か '/>' が必要です`, `expected whitespace, '>' or '/>' in <${name}>`));
      const attrAt = pos;
      const attr = readName();
      skipSpace();
      if (!startsWith("=")) fail(L(`<${name}> の属性 '${attr}' に値がありません: ${attr}="..."`, `attribute '${attr}' of <${name}> needs a value: ${attr}="..."`));
      pos++;
      skipSpace();
      const quote = src[pos];
      if (quote !== '"' && quote !== "'") fail(L(`属性 '${attr}' の値は引用符で囲んでください`, `the value of attribute '${attr}' must be quoted`));
      const end = src.indexOf(quote as string, pos + 1);
      if (end < 0) fail(L(`属性 '${attr}' の値が閉じられていません`, `the value of attribute '${attr}' is never closed`));
      const raw = src.slice(pos + 1, end);
      const lt = raw.indexOf("<");
      if (lt >= 0) fail(L("属性値の中に '<' は書けません (&lt; と書きます)", "'<' is not allowed in an attribute value (write &lt;)"), pos + 1 + lt);
      if (Object.hasOwn(el.attrs, attr)) fail(L(`<${name}> に属性 '${attr}' が 2 回あります`, `duplicate attribute '${attr}' on <${name}>`), attrAt);
      el.attrs[attr] = decode(raw, pos + 1);
      pos = end + 1;
    }
    for (;;) {
      if (pos >= src.length) fail(L(`<${name}> (${el.line} 行) が閉じられていません`, `<${name}> (line ${el.line}) is never closed`));
      if (startsWith("</")) {
        pos += 2;
        const closeAt = pos;
        const close = readName();
        if (close !== name) fail(L(`</${close}> で <${name}> (${el.line} 行) を閉じようとしています`, `</${close}> closes <${name}> (opened on line ${el.line})`), closeAt);
        skipSpace();
        if (!startsWith(">")) fail(L(`</${close}> の後に '>' が必要です`, `expected '>' after </${close}`));
        pos++;
        return el;
      }
      if (startsWith("<!--")) skipComment();
      else if (startsWith("<![CDATA[")) {
        const end = src.indexOf("]]>", pos + 9);
        if (end < 0) fail(L("CDATA セクションが閉じられていません", "unterminated CDATA section"));
        el.children.push({ text: src.slice(pos + 9, end) });
        pos = end + 3;
      } else if (startsWith("<?")) skipInstruction();
      else if (startsWith("<")) el.children.push(readElement(depth + 1));
      else {
        const start = pos;
        const next = src.indexOf("<", pos);
        pos = next < 0 ? src.length : next;
        const raw = src.slice(start, pos);
        const bad = raw.indexOf("]]>");
        if (bad >= 0) fail(L("テキストの中に ']]>' は書けません", "']]>' is not allowed in text"), start + bad);
        el.children.push({ text: decode(raw, start) });
      }
    }
  };

  if (src.charCodeAt(0) === 0xfeff) pos = 1;
  skipMisc();
  if (!startsWith("<")) fail(pos >= src.length ? L("文書が空です", "the document is empty") : L("ルート要素の前にテキストがあります", "text before the root element"));
  const root = readElement(0);
  skipMisc();
  if (pos < src.length) fail(L("ルート要素の後に内容があります (文書のルートはちょうど 1 つです)", "content after the root element (a document has exactly one root)"));
  return root;
}

/** Concatenated text of an element and its descendants. */
export function textContent(el: XmlElement): string {
  let s = "";
  for (const c of el.children) s += isElement(c) ? textContent(c) : c.text;
  return s;
}

// ---------------------------------------------------------------- geometry

/** An affine map [a, b, c, d, e, f]: (x, y) -> (a x + c y + e, b x + d y + f), as SVG's matrix(). */
export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY: Affine = [1, 0, 0, 1, 0, 0];

/** The map that applies `inner` first and `outer` after it. */
export function compose(outer: Affine, inner: Affine): Affine {
  const [a1, b1, c1, d1, e1, f1] = outer;
  const [a2, b2, c2, d2, e2, f2] = inner;
  return [a1 * a2 + c1 * b2, b1 * a2 + d1 * b2, a1 * c2 + c1 * d2, b1 * c2 + d1 * d2, a1 * e2 + c1 * f2 + e1, b1 * e2 + d1 * f2 + f1];
}

export function apply(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A length in user units: a plain number or one with "px". Percentages and font units are rejected. */
export function parseLength(value: string, what: string): number {
  const v = value.trim().replace(/px$/, "");
  if (!NUMBER.test(v)) {
    throw new SvgError(
      L(`${what} の値 '${value}' は数値ではありません (単位なしか px で書いてください)`, `${what} = '${value}' is not a number in user units (write a plain number or px)`),
    );
  }
  return Number(v);
}

/** The first number of a coordinate list ("10" or "10 20" in <text x>); 0 when absent. */
export function firstCoordinate(value: string | undefined, what: string): number {
  if (value === undefined) return 0;
  return parseLength(value.trim().split(/[\s,]+/)[0] ?? "", what);
}

/** SVG transform list: matrix, translate, scale, rotate, skewX, skewY. */
export function parseTransform(value: string | undefined): Affine {
  if (value === undefined || value.trim() === "") return IDENTITY;
  const bad = (why: string): SvgError => new SvgError(L(`transform="${value}" を読めません: ${why}`, `cannot read transform="${value}": ${why}`));
  let m: Affine = IDENTITY;
  const re = /\s*([A-Za-z]+)\s*\(([^)]*)\)\s*,?/y;
  const s = value.trim();
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const match = re.exec(s);
    if (match === null) throw bad("syntax");
    pos = re.lastIndex;
    const fn = match[1] as string;
    const body = (match[2] as string).trim();
    const n = body === "" ? [] : body.split(/[\s,]+/).map((x) => parseLength(x, `${fn}()`));
    const at = (i: number): number => n[i] as number;
    const deg = (a: number) => (a * Math.PI) / 180;
    let t: Affine;
    switch (fn) {
      case "matrix":
        if (n.length !== 6) throw bad("matrix() takes 6 numbers");
        t = [at(0), at(1), at(2), at(3), at(4), at(5)];
        break;
      case "translate":
        if (n.length < 1 || n.length > 2) throw bad("translate() takes 1 or 2 numbers");
        t = [1, 0, 0, 1, at(0), n[1] ?? 0];
        break;
      case "scale":
        if (n.length < 1 || n.length > 2) throw bad("scale() takes 1 or 2 numbers");
        t = [at(0), 0, 0, n[1] ?? at(0), 0, 0];
        break;
      case "rotate": {
        if (n.length !== 1 && n.length !== 3) throw bad("rotate() takes 1 or 3 numbers");
        const a = deg(at(0));
        const r: Affine = [Math.cos(a), Math.sin(a), -Math.sin(a), Math.cos(a), 0, 0];
        t = n.length === 3 ? compose(compose([1, 0, 0, 1, at(1), at(2)], r), [1, 0, 0, 1, -at(1), -at(2)]) : r;
        break;
      }
      case "skewX":
        if (n.length !== 1) throw bad("skewX() takes 1 number");
        t = [1, 0, Math.tan(deg(at(0))), 1, 0, 0];
        break;
      case "skewY":
        if (n.length !== 1) throw bad("skewY() takes 1 number");
        t = [1, Math.tan(deg(at(0))), 0, 1, 0, 0];
        break;
      default:
        throw bad(`unknown function ${fn}()`);
    }
    m = compose(m, t);
  }
  return m;
}

// ---------------------------------------------------------------- colour

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface Paint {
  rgb: Rgb;
  /** Alpha carried by the colour itself (rgba, hsla, #rrggbbaa); 1 otherwise. */
  alpha: number;
}

const BASIC_COLOURS: Record<string, Rgb> = {
  white: { r: 255, g: 255, b: 255 },
  black: { r: 0, g: 0, b: 0 },
};

function hslToRgb(h: number, s: number, l: number): Rgb {
  const hh = (((h % 360) + 360) % 360) / 30;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => {
    const k = (n + hh) % 12;
    return 255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)));
  };
  return { r: f(0), g: f(8), b: f(4) };
}

function alphaOf(p: string | undefined): number {
  if (p === undefined) return 1;
  return p.endsWith("%") ? Number(p.slice(0, -1)) / 100 : Number(p);
}

/**
 * A paint value: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba() (numbers or percentages),
 * hsl()/hsla(), white, black; "none" and "transparent" give null. Anything else throws.
 */
export function parseColour(value: string): Paint | null {
  const v = value.trim().toLowerCase();
  const unreadable = (why: Localized): SvgError =>
    new SvgError(L(`色 '${value}' を読めません: ${why.ja}`, `cannot read the colour '${value}': ${why.en}`));
  if (v === "none" || v === "transparent") return null;
  const named = BASIC_COLOURS[v];
  if (named !== undefined) return { rgb: named, alpha: 1 };
  let m = /^#([0-9a-f]+)$/.exec(v);
  if (m !== null) {
    const h = m[1] as string;
    if (h.length === 3 || h.length === 4) {
      const d = (i: number) => parseInt((h[i] as string) + (h[i] as string), 16);
      return { rgb: { r: d(0), g: d(1), b: d(2) }, alpha: h.length === 4 ? d(3) / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      const d = (i: number) => parseInt(h.slice(i, i + 2), 16);
      return { rgb: { r: d(0), g: d(2), b: d(4) }, alpha: h.length === 8 ? d(6) / 255 : 1 };
    }
    throw unreadable(L("16 進の色は #rgb か #rrggbb です", "a hex colour is #rgb or #rrggbb"));
  }
  const parts = (body: string) => body.split(/\s*,\s*|\s*\/\s*|\s+/).filter((p) => p !== "");
  m = /^rgba?\(([^)]*)\)$/.exec(v);
  if (m !== null) {
    const p = parts(m[1] as string);
    if (p.length !== 3 && p.length !== 4) throw unreadable(L("rgb() には 3 つのチャンネル (と任意のアルファ) が必要です", "rgb() needs 3 channels (and an optional alpha)"));
    const ch = (t: string) => (t.endsWith("%") ? (Number(t.slice(0, -1)) / 100) * 255 : Number(t));
    const [r, g, b] = [ch(p[0] as string), ch(p[1] as string), ch(p[2] as string)];
    const a = alphaOf(p[3]);
    if (![r, g, b, a].every(Number.isFinite)) throw unreadable(L("数値でないチャンネルがあります", "a channel is not a number"));
    const clamp = (x: number) => Math.max(0, Math.min(255, x));
    return { rgb: { r: clamp(r), g: clamp(g), b: clamp(b) }, alpha: Math.max(0, Math.min(1, a)) };
  }
  m = /^hsla?\(([^)]*)\)$/.exec(v);
  if (m !== null) {
    const p = parts(m[1] as string);
    if (p.length !== 3 && p.length !== 4) throw unreadable(L("hsl() には色相・彩度・明度が必要です", "hsl() needs hue, saturation and lightness"));
    const h = Number((p[0] as string).replace(/deg$/, ""));
    const pct = (t: string) => Number(t.replace(/%$/, "")) / 100;
    const s = pct(p[1] as string);
    const l = pct(p[2] as string);
    const a = alphaOf(p[3]);
    if (![h, s, l, a].every(Number.isFinite)) throw unreadable(L("数値でない部分があります", "a part is not a number"));
    const c01 = (x: number) => Math.max(0, Math.min(1, x));
    return { rgb: hslToRgb(h, c01(s), c01(l)), alpha: c01(a) };
  }
  throw unreadable(L("#rrggbb、rgb()、hsl()、white、black のどれかで書いてください", "write it as #rrggbb, rgb(), hsl(), white or black"));
}

/** Relative luminance Y of an sRGB colour (channels 0..255), as WCAG defines it. */
export function luminance(c: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** CIE lightness L* (0 = black, 100 = white) of an sRGB colour: perceptually even steps. */
export function lightness(c: Rgb): number {
  const y = luminance(c);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

/** The colour seen when `rgb` with total opacity `alpha` is drawn over white. */
export function overWhite(rgb: Rgb, alpha: number): Rgb {
  const mix = (v: number) => alpha * v + (1 - alpha) * 255;
  return { r: mix(rgb.r), g: mix(rgb.g), b: mix(rgb.b) };
}

/** Declarations of a style attribute ("fill: #fff; opacity: .5") as a map. */
export function parseStyle(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const decl of value.split(";")) {
    const i = decl.indexOf(":");
    if (i < 0) continue;
    const key = decl.slice(0, i).trim().toLowerCase();
    if (key !== "") out[key] = decl.slice(i + 1).trim();
  }
  return out;
}

// ---------------------------------------------------------------- a rendered view of the tree

export interface Placed {
  el: XmlElement;
  /** Cumulative transform from the root to this element's user space. */
  transform: Affine;
  /** Presentation properties after inheritance (fill and fill-opacity inherit in SVG). */
  fill: string | undefined;
  fillOpacity: string | undefined;
  /** Product of the opacity of this element and of its ancestors. */
  opacity: number;
  classes: string[];
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 1;
}

/** Every element with its cumulative transform and inherited paint, in document order. */
export function flatten(root: XmlElement): Placed[] {
  const out: Placed[] = [];
  const walk = (el: XmlElement, parent: Affine, fill: string | undefined, fillOpacity: string | undefined, opacity: number): void => {
    const style = parseStyle(el.attrs.style);
    const own = (k: string): string | undefined => style[k] ?? el.attrs[k];
    const transform = compose(parent, parseTransform(el.attrs.transform));
    const f = own("fill") ?? fill;
    const fo = own("fill-opacity") ?? fillOpacity;
    const opText = own("opacity");
    const op = opacity * (opText === undefined ? 1 : clamp01(Number(opText)));
    out.push({ el, transform, fill: f, fillOpacity: fo, opacity: op, classes: (el.attrs.class ?? "").split(/\s+/).filter((c) => c !== "") });
    for (const c of el.children) if (isElement(c)) walk(c, transform, f, fo, op);
  };
  walk(root, IDENTITY, undefined, undefined, 1);
  return out;
}

/** The colour a placed shape shows over a white background; throws SvgError when it has none we can read. */
export function visibleColour(p: Placed): Rgb {
  if (p.fill === undefined) {
    throw new SvgError(L("fill がありません (SVG では黒で塗られます)。fill を指定してください", "it has no fill (SVG would paint it black); give it a fill"));
  }
  if (/^url\(/i.test(p.fill.trim())) {
    throw new SvgError(L(`fill '${p.fill}' はグラデーションかパターンです。セルごとに 1 色で塗ってください`, `its fill '${p.fill}' is a gradient or pattern; paint each cell one plain colour`));
  }
  const paint = parseColour(p.fill);
  if (paint === null) throw new SvgError(L(`fill が '${p.fill}' なので塗られていません`, `its fill is '${p.fill}', so it is not painted`));
  const fo = p.fillOpacity === undefined ? 1 : clamp01(Number(p.fillOpacity));
  return overWhite(paint.rgb, paint.alpha * fo * p.opacity);
}
