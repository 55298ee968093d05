import type { Localized } from "@tfm/contract";

/**
 * Reading a student's SVG (attention heatmaps): a maintained, strict XML parser (saxes: XML 1.0
 * well-formedness, linear time) with our own limits on size, depth and element count, then the SVG
 * geometry and colour rules the grader needs. Every problem is an SvgError with a Japanese and an
 * English message (XmlError adds the line and column), so a student learns where the document breaks.
 */
import { SaxesParser, type SaxesTagPlain } from "saxes";

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

/** Limits on a document: its length, the nesting of its elements and how many there are. */
export const XML_LIMITS = { maxChars: 4_000_000, maxDepth: 64, maxElements: 100_000, maxAttributeChars: 100_000 };

/** saxes' messages (English only) with the Japanese and a hint for the common ones. */
const KNOWN: [RegExp, (m: RegExpExecArray) => Localized][] = [
  [/^document must contain a root element/, () => L("ルート要素がありません (文書が空か、開始タグが閉じられていません)", "the document is empty or never finished: it has no complete root element")],
  [/^text data outside of root node/, () => L("ルート要素の外にテキストがあります", "text before or after the root element")],
  [/^unclosed tag: (.*)/, (m) => L(`<${m[1]}> が閉じられていません ('&' は &amp; と書きます)`, `<${m[1]}> is never closed (write & as &amp;)`)],
  [/^unexpected close tag/, () => L("この終了タグに対応する開始タグがありません", "this close tag closes an element that is not open")],
  [/^unquoted attribute value/, () => L("属性値は引用符で囲んでください", "attribute values must be quoted")],
  [/^duplicate attribute: (.*)/, (m) => L(`属性 '${m[1]}' が 2 回あります`, `duplicate attribute '${m[1]}'`)],
  [/^undefined entity/, () => L("未知の実体参照です (XML にあるのは &lt; &gt; &amp; &quot; &apos; と &#...; だけです)", "unknown entity (XML has only &lt; &gt; &amp; &quot; &apos; and &#...;)")],
  [/^disallowed character/, () => L("ここには書けない文字があります ('<' は &lt;、'&' は &amp; と書きます)", "a character that is not allowed here (write '<' as &lt; and '&' as &amp;)")],
  [/^documents may contain only one root/, () => L("ルート要素は 1 つだけです", "a document has exactly one root element")],
];

function describeSaxes(message: string): Localized {
  const text = message.replace(/^\d+:\d+: /, "").replace(/\.$/, "");
  for (const [re, make] of KNOWN) {
    const m = re.exec(text);
    if (m !== null) return make(m);
  }
  return L(`XML として正しくありません: ${text}`, `not well-formed XML: ${text}`);
}

export function parseXml(src: string): XmlElement {
  if (src.length > XML_LIMITS.maxChars) {
    throw new XmlError(L(`SVG が長すぎます (${src.length} 文字、上限 ${XML_LIMITS.maxChars})`, `the SVG is too long (${src.length} characters, at most ${XML_LIMITS.maxChars})`), 1, 1);
  }
  const parser = new SaxesParser<{ position: true; xmlns: false }>({ position: true, xmlns: false });
  const fail = (reason: Localized): never => {
    throw new XmlError(reason, parser.line, parser.column + 1);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let elements = 0;
  parser.on("error", (e) => fail(describeSaxes(e.message)));
  parser.on("doctype", (d) => {
    if (d.includes("[")) fail(L("内部サブセット付きの DOCTYPE は受け付けません", "a DOCTYPE with an internal subset is not accepted"));
  });
  parser.on("opentag", (tag: SaxesTagPlain) => {
    if (stack.length >= XML_LIMITS.maxDepth) fail(L(`要素の入れ子が ${XML_LIMITS.maxDepth} 段を超えています`, `elements are nested more than ${XML_LIMITS.maxDepth} deep`));
    if (++elements > XML_LIMITS.maxElements) fail(L(`要素が ${XML_LIMITS.maxElements} 個を超えています`, `more than ${XML_LIMITS.maxElements} elements`));
    // No prototype, so an attribute named __proto__ (or constructor, toString) is an own property like
    // any other, written plainly: a descriptor per attribute (defineProperty) cost a fifth of a parse.
    const attrs = Object.create(null) as Record<string, string>;
    const given = tag.attributes;
    for (const k of Object.keys(given)) {
      const v = given[k] as string;
      if (v.length > XML_LIMITS.maxAttributeChars) fail(L(`属性 '${k}' の値が長すぎます (${v.length} 文字)`, `the value of attribute '${k}' is too long (${v.length} characters)`));
      attrs[k] = v;
    }
    const el: XmlElement = { name: tag.name, attrs, children: [], line: parser.line };
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  const addText = (text: string): void => {
    const parent = stack[stack.length - 1];
    if (parent !== undefined && text.length > 0) parent.children.push({ text });
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.write(src.charCodeAt(0) === 0xfeff ? src.slice(1) : src).close();
  if (root === null) return fail(L("ルート要素がありません", "the document has no root element"));
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

/**
 * A number: no two quantifiers can match the same characters (digits, then an optional fraction,
 * then an optional exponent), so the match is linear; and no number is longer than MAX_NUMBER_CHARS.
 * (The former /(\d+\.?\d*)/ backtracked quadratically on 300,000 digits.)
 */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_NUMBER_CHARS = 64;

/** A length in user units: a plain number or one with "px". Percentages and font units are rejected. */
export function parseLength(value: string, what: string): number {
  if (value.length > 4 * MAX_NUMBER_CHARS) {
    throw new SvgError(L(`${what} の値が長すぎます (${value.length} 文字)`, `${what} is too long for a number (${value.length} characters)`));
  }
  const trimmed = value.trim();
  const v = trimmed.endsWith("px") ? trimmed.slice(0, -2) : trimmed;
  if (v.length > MAX_NUMBER_CHARS || !NUMBER.test(v)) {
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
  return { r: hslChannel(0, hh, l, a), g: hslChannel(8, hh, l, a), b: hslChannel(4, hh, l, a) };
}

/** One channel of hslToRgb (CSS Color 4's formula), 0..255. */
function hslChannel(n: number, hh: number, l: number, a: number): number {
  const k = (n + hh) % 12;
  return 255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)));
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
  if (v === "none" || v === "transparent") return null;
  const named = BASIC_COLOURS[v];
  if (named !== undefined) return { rgb: named, alpha: 1 };
  let m = /^#([0-9a-f]+)$/.exec(v);
  if (m !== null) {
    const h = m[1] as string;
    if (h.length === 3 || h.length === 4) {
      return { rgb: { r: hexDigitTwice(h, 0), g: hexDigitTwice(h, 1), b: hexDigitTwice(h, 2) }, alpha: h.length === 4 ? hexDigitTwice(h, 3) / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      return { rgb: { r: hexPair(h, 0), g: hexPair(h, 2), b: hexPair(h, 4) }, alpha: h.length === 8 ? hexPair(h, 6) / 255 : 1 };
    }
    throw unreadable(value, L("16 進の色は #rgb か #rrggbb です", "a hex colour is #rgb or #rrggbb"));
  }
  m = /^rgba?\(([^)]*)\)$/.exec(v);
  if (m !== null) {
    const p = colourParts(m[1] as string);
    if (p.length !== 3 && p.length !== 4) throw unreadable(value, L("rgb() には 3 つのチャンネル (と任意のアルファ) が必要です", "rgb() needs 3 channels (and an optional alpha)"));
    const [r, g, b] = [channel(p[0] as string), channel(p[1] as string), channel(p[2] as string)];
    const a = alphaOf(p[3]);
    if (!(Number.isFinite(r) && Number.isFinite(g) && Number.isFinite(b) && Number.isFinite(a))) throw unreadable(value, L("数値でないチャンネルがあります", "a channel is not a number"));
    return { rgb: { r: clamp255(r), g: clamp255(g), b: clamp255(b) }, alpha: clamp01(a) };
  }
  m = /^hsla?\(([^)]*)\)$/.exec(v);
  if (m !== null) {
    const p = colourParts(m[1] as string);
    if (p.length !== 3 && p.length !== 4) throw unreadable(value, L("hsl() には色相・彩度・明度が必要です", "hsl() needs hue, saturation and lightness"));
    const h = Number((p[0] as string).replace(/deg$/, ""));
    const s = percent(p[1] as string);
    const l = percent(p[2] as string);
    const a = alphaOf(p[3]);
    if (!(Number.isFinite(h) && Number.isFinite(s) && Number.isFinite(l) && Number.isFinite(a))) throw unreadable(value, L("数値でない部分があります", "a part is not a number"));
    return { rgb: hslToRgb(h, clamp01(s), clamp01(l)), alpha: clamp01(a) };
  }
  throw unreadable(value, L("#rrggbb、rgb()、hsl()、white、black のどれかで書いてください", "write it as #rrggbb, rgb(), hsl(), white or black"));
}

function unreadable(value: string, why: Localized): SvgError {
  return new SvgError(L(`色 '${value}' を読めません: ${why.ja}`, `cannot read the colour '${value}': ${why.en}`));
}

/** #rgb: digit i doubled ("f" -> 0xff). */
function hexDigitTwice(h: string, i: number): number {
  return parseInt((h[i] as string) + (h[i] as string), 16);
}

/** #rrggbb: the pair at i. */
function hexPair(h: string, i: number): number {
  return parseInt(h.slice(i, i + 2), 16);
}

/** The parts of rgb(...) / hsl(...): separated by commas, a slash or spaces. */
function colourParts(body: string): string[] {
  return body.split(/\s*,\s*|\s*\/\s*|\s+/).filter(nonEmpty);
}

/** An rgb() channel: a number (0-255) or a percentage. */
function channel(t: string): number {
  return t.endsWith("%") ? (Number(t.slice(0, -1)) / 100) * 255 : Number(t);
}

function clamp255(x: number): number {
  return Math.max(0, Math.min(255, x));
}

/** An hsl() percentage as a fraction. */
function percent(t: string): number {
  return Number(t.replace(/%$/, "")) / 100;
}

/** Relative luminance Y of an sRGB colour (channels 0..255), as WCAG defines it. */
export function luminance(c: Rgb): number {
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

/** An sRGB channel (0..255) as linear light. */
function linear(v: number): number {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** CIE lightness L* (0 = black, 100 = white) of an sRGB colour: perceptually even steps. */
export function lightness(c: Rgb): number {
  const y = luminance(c);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

/** The colour seen when `rgb` with total opacity `alpha` is drawn over white. */
export function overWhite(rgb: Rgb, alpha: number): Rgb {
  return { r: alpha * rgb.r + (1 - alpha) * 255, g: alpha * rgb.g + (1 - alpha) * 255, b: alpha * rgb.b + (1 - alpha) * 255 };
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

/** x within [0, 1]; 1 for a value that is not a number (an unreadable opacity is ignored). Finite inputs: the plain clamp. */
function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 1;
}

/** Every element with its cumulative transform and inherited paint, in document order. */
export function flatten(root: XmlElement): Placed[] {
  const out: Placed[] = [];
  walk(out, root, IDENTITY, undefined, undefined, 1);
  return out;
}

// Module-level helpers, not closures made per element or per call: the grader runs under tsx, which
// names every function it creates (esbuild's keepNames: a defineProperty per closure), and a heatmap
// of 100 cells made ~1,000 of them per reading (a tenth of its time).

/** A presentation property: the style attribute's declaration, else the attribute. */
function ownProperty(style: Record<string, string>, el: XmlElement, k: string): string | undefined {
  return style[k] ?? el.attrs[k];
}

/** For filter(): a piece a split left that is not empty (class lists, colour parts). */
function nonEmpty(c: string): boolean {
  return c !== "";
}

function walk(out: Placed[], el: XmlElement, parent: Affine, fill: string | undefined, fillOpacity: string | undefined, opacity: number): void {
  const style = parseStyle(el.attrs.style);
  const transform = compose(parent, parseTransform(el.attrs.transform));
  const f = ownProperty(style, el, "fill") ?? fill;
  const fo = ownProperty(style, el, "fill-opacity") ?? fillOpacity;
  const opText = ownProperty(style, el, "opacity");
  const op = opacity * (opText === undefined ? 1 : clamp01(Number(opText)));
  out.push({ el, transform, fill: f, fillOpacity: fo, opacity: op, classes: (el.attrs.class ?? "").split(/\s+/).filter(nonEmpty) });
  for (const c of el.children) if (isElement(c)) walk(out, c, transform, f, fo, op);
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
