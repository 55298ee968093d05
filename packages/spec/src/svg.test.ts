import { describe, expect, it } from "vitest";
import { SvgError, XmlError, apply, flatten, lightness, parseColour, parseTransform, parseXml, textContent, visibleColour } from "./svg.ts";

function xmlError(src: string): XmlError {
  try {
    parseXml(src);
  } catch (e) {
    if (e instanceof XmlError) return e;
    throw e;
  }
  throw new Error(`parsed without error: ${src}`);
}

describe("parseXml", () => {
  it("reads elements, attributes, text, entities, comments, CDATA and a declaration", () => {
    const root = parseXml(`<?xml version="1.0"?>\n<!-- c -->\n<svg a="1" b='x &amp; y'><g><text>A&lt;B&#67;&#x44;</text></g><![CDATA[<raw>]]><e/></svg>\n`);
    expect(root.name).toBe("svg");
    expect(root.attrs).toEqual({ a: "1", b: "x & y" });
    expect(textContent(root)).toBe("A<BCD<raw>");
    expect(root.children.length).toBe(3);
  });

  it("keeps attributes as own properties of an object without a prototype: names Object.prototype has are read as written, absent ones as undefined", () => {
    const root = parseXml('<svg __proto__="p" constructor="c" toString="t" fill="#fff"><rect/></svg>');
    expect(Object.getPrototypeOf(root.attrs)).toBe(null);
    expect(Object.keys(root.attrs)).toEqual(["__proto__", "constructor", "toString", "fill"]);
    expect(root.attrs.__proto__).toBe("p");
    expect(root.attrs.constructor).toBe("c");
    expect(root.attrs.toString).toBe("t");
    // An attribute the element does not have is absent, whatever its name (no inherited function).
    const rect = root.children[0] as { attrs: Record<string, string | undefined> };
    for (const name of ["constructor", "toString", "valueOf", "hasOwnProperty", "fill"]) expect(rect.attrs[name], name).toBeUndefined();
  });

  it("accepts a DOCTYPE without an internal subset and a byte-order mark", () => {
    expect(parseXml(`\ufeff<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>`).name).toBe("svg");
  });

  it.each([
    ["", "empty"],
    ["text<svg/>", "text before or after the root"],
    ["<svg>", "never closed"],
    ["<svg></g>", "closes an element that is not open"],
    ["<svg a=1/>", "must be quoted"],
    ['<svg a="1" a="2"/>', "duplicate attribute"],
    ["<svg>A & B</svg>", "write & as &amp;"],
    ["<svg>&nbsp;</svg>", "unknown entity"],
    ['<svg a="<"/>', "write '<' as &lt;"],
    ["<svg/><svg/>", "exactly one root"],
    ["<svg><!-- x</svg>", "is never closed"],
    ['<!DOCTYPE svg [<!ENTITY x "y">]><svg/>', "internal subset"],
    ["<svg", "never finished"],
  ])("rejects %j (%s)", (src, fragment) => {
    const e = xmlError(src);
    expect(e.message).toContain(fragment);
    expect(e.detail.ja.length).toBeGreaterThan(0);
  });

  it("reports the line and column of the problem (saxes: just after it)", () => {
    const e = xmlError("<svg>\n  <g>\n  </h>\n</svg>");
    expect([e.line, e.column]).toEqual([3, 7]);
  });

  it.each([
    ["nested deeper than the limit", `<svg>${"<g>".repeat(100)}${"</g>".repeat(100)}</svg>`, "nested more than"],
    ["more elements than the limit", `<svg>${"<g/>".repeat(100_001)}</svg>`, "more than 100000 elements"],
    ["an attribute longer than the limit", `<svg a="${"x".repeat(100_001)}"/>`, "too long"],
    ["a document longer than the limit", `<svg>${" ".repeat(4_000_001)}</svg>`, "too long"],
  ])("refuses a document %s", (_name, src, fragment) => {
    expect(xmlError(src).message).toContain(fragment);
  });
});

describe("transforms", () => {
  it("composes a list left to right, as SVG does", () => {
    const m = parseTransform("translate(10, 20) scale(2)");
    expect(apply(m, 1, 1)).toEqual([12, 22]);
  });

  it("rotates about a point", () => {
    const [x, y] = apply(parseTransform("rotate(90 5 5)"), 5, 5);
    expect(x).toBeCloseTo(5);
    expect(y).toBeCloseTo(5);
  });

  it("applies ancestors' transforms before the element's own", () => {
    const root = parseXml('<svg><g transform="translate(100,0)"><rect transform="translate(0,7)"/></g></svg>');
    const rect = flatten(root).find((p) => p.el.name === "rect");
    expect(rect && apply(rect.transform, 0, 0)).toEqual([100, 7]);
  });

  it("rejects what it cannot read", () => {
    expect(() => parseTransform("wobble(3)")).toThrow(SvgError);
    expect(() => parseTransform("translate(1, 2, 3)")).toThrow(SvgError);
  });
});

describe("colours", () => {
  it("reads hex, rgb(), hsl() and the two named colours", () => {
    expect(parseColour("#fff")?.rgb).toEqual({ r: 255, g: 255, b: 255 });
    expect(parseColour("#08306b")?.rgb).toEqual({ r: 8, g: 48, b: 107 });
    expect(parseColour("rgb(10, 20, 30)")?.rgb).toEqual({ r: 10, g: 20, b: 30 });
    expect(parseColour("rgb(100%, 0%, 50%)")?.rgb).toEqual({ r: 255, g: 0, b: 127.5 });
    expect(parseColour("rgba(0,0,0,0.25)")?.alpha).toBe(0.25);
    const red = parseColour("hsl(0, 100%, 50%)")?.rgb;
    expect(red && [Math.round(red.r), Math.round(red.g), Math.round(red.b)]).toEqual([255, 0, 0]);
    const blue = parseColour("hsl(240deg 100% 50%)")?.rgb;
    expect(blue && [Math.round(blue.r), Math.round(blue.g), Math.round(blue.b)]).toEqual([0, 0, 255]);
    expect(parseColour("black")?.rgb).toEqual({ r: 0, g: 0, b: 0 });
    expect(parseColour("none")).toBeNull();
    expect(() => parseColour("steelblue")).toThrow(SvgError);
  });

  it("clamps channels and alphas out of range, reads a hex alpha, and refuses a part that is not a number", () => {
    expect(parseColour("rgba(300, -5, 10, 1.5)")).toEqual({ rgb: { r: 255, g: 0, b: 10 }, alpha: 1 });
    expect(parseColour("rgb(10 20 30 / 50%)")).toEqual({ rgb: { r: 10, g: 20, b: 30 }, alpha: 0.5 });
    expect(parseColour("rgba(0, 0, 0, -0.2)")?.alpha).toBe(0);
    // Saturation and lightness over 100% are 100%; alpha under 0 is 0.
    expect(parseColour("hsla(120, 150%, 50%, -1)")).toEqual(parseColour("hsla(120, 100%, 50%, 0)"));
    expect(parseColour("hsl(120, 100%, 120%)")?.rgb).toEqual({ r: 255, g: 255, b: 255 });
    expect(parseColour("#0f08")).toEqual({ rgb: { r: 0, g: 255, b: 0 }, alpha: 0x88 / 255 });
    expect(parseColour("#11223380")).toEqual({ rgb: { r: 0x11, g: 0x22, b: 0x33 }, alpha: 0x80 / 255 });
    for (const bad of ["rgb(1, 2, x)", "rgb(1, 2)", "hsl(a, 1%, 2%)", "#12345"]) expect(() => parseColour(bad), bad).toThrow(SvgError);
  });

  it("gives CIE lightness 0 for black, 100 for white, about 32.3 for pure blue", () => {
    expect(lightness({ r: 0, g: 0, b: 0 })).toBe(0);
    expect(lightness({ r: 255, g: 255, b: 255 })).toBeCloseTo(100, 6);
    expect(lightness({ r: 0, g: 0, b: 255 })).toBeCloseTo(32.3, 1);
  });

  it("composites fill-opacity, opacity and inherited fills over white", () => {
    const root = parseXml('<svg><g fill="#000000" opacity="0.5"><rect style="fill-opacity: 0.5"/></g></svg>');
    const rect = flatten(root).find((p) => p.el.name === "rect");
    if (rect === undefined) throw new Error("no rect");
    const c = visibleColour(rect);
    expect(c.r).toBeCloseTo(255 * 0.75);
  });
});

describe("bounded parsing of student SVG", () => {
  it.each([
    ["300,000 digits then a letter", `${"1".repeat(300_000)}x`],
    ["300,000 digits with a dot", `${"1".repeat(150_000)}.${"1".repeat(150_000)}x`],
    ["a long exponent", `1e${"1".repeat(300_000)}!`],
  ])("a number of %s is rejected at once", (_name, value) => {
    const t = performance.now();
    expect(() => parseXml(`<svg><rect width="${value}"/></svg>`) && flattenWidth(value)).toThrow(SvgError);
    // Linear: a generous bound that the quadratic regex (seconds for this input) could not meet.
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});

function flattenWidth(value: string): void {
  parseTransform(`translate(${value})`);
}
