/**
 * The attention-heatmap grader reads SVG instead of comparing strings: the reference picture must
 * pass it, every known wrong picture must fail naming its pitfall, and drawings that follow the
 * statement in other styles (transforms, styles, opacity, labels on the other sides) must pass.
 */
import { type WireValue, wireTensor } from "@tfm/contract";
import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import spec, { compareHeatmap } from "../../exercises/attention-heatmap/spec.ts";
import reference from "./exercises/attention-heatmap.ts";

const cases = spec.cases.map((c) => [c.id, c.make({ rng: new Rng(deriveSeed(11, c.id)) })] as const);

describe("attention-heatmap reference and variants", () => {
  it.each(cases)("the reference picture passes (%s)", async (_id, args) => {
    expect(compareHeatmap(null, await reference.expected(args), args)).toEqual({ ok: true });
  });

  const variants = Object.keys(reference.variants ?? {});
  it.each(variants)("the %s picture fails naming that pitfall on a public or pitfall case", async (pitfall) => {
    const named = new Set<string>();
    for (const [id, args] of cases) {
      const kind = spec.cases.find((c) => c.id === id)?.kind;
      if (kind === "hidden") continue;
      const v = compareHeatmap(null, await (reference.variants?.[pitfall] ?? reference.expected)(args), args);
      if (!v.ok && v.pitfall !== undefined) named.add(v.pitfall);
    }
    expect([...named]).toContain(pitfall);
  });
});

function weights(rows: number[][]): WireValue {
  return wireTensor("float32", [rows.length, rows[0]?.length ?? 0], Float32Array.from(rows.flat()));
}

describe("attention-heatmap accepts what the statement allows", () => {
  const w = [
    [0.2, 0.5, 0.3],
    [0.4, 0.2, 0.4],
    [0.1, 0.7, 0.2],
  ];
  const args: WireValue[] = [weights(w), ["C", "C", "O"], ["C", "C", "O"]];
  const cells = (cell: (i: number, j: number, v: number) => string) => w.flatMap((row, i) => row.map((v, j) => cell(i, j, v))).join("");

  it("opacity over white, a transformed group, labels on the right and at the bottom", () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="white"/>
      <g transform="translate(10 10) scale(2)" fill="steelblue">
        ${cells((i, j, v) => `<rect class="cell heat" x="${j * 10}" y="${i * 10}" width="10" height="10" style="fill: #4682b4; fill-opacity: ${v}"/>`)}
      </g>
      ${["C", "C", "O"].map((t, i) => `<text x="75" y="${20 + i * 20}">${t}</text>`).join("")}
      ${["C", "C", "O"].map((t, j) => `<text transform="rotate(-45 ${20 + j * 20} 80)" x="${20 + j * 20}" y="80">${t}</text>`).join("")}
      <text x="0" y="8">attention</text></svg>`;
    expect(compareHeatmap(null, svg, args)).toEqual({ ok: true });
  });

  it("an hsl lightness ramp normalised by the largest weight", () => {
    const svg = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
      ${cells((i, j, v) => `<rect class="cell" x="${50 + j * 30}px" y="${40 + i * 30}" width="30" height="30" fill="hsl(220, 80%, ${100 - 60 * (v / 0.7)}%)"><title>${v}</title></rect><text x="${55 + j * 30}" y="${60 + i * 30}">${v.toFixed(2)}</text>`)}
      ${["C", "C", "O"].map((t, i) => `<text x="45" y="${55 + i * 30}" text-anchor="end"> ${t} </text>`).join("")}
      ${["C", "C", "O"].map((t, j) => `<text x="${65 + j * 30}" y="35"><tspan>${t}</tspan></text>`).join("")}
    </svg>`;
    expect(compareHeatmap(null, svg, args)).toEqual({ ok: true });
  });

  it("rejects an unescaped & with the line of the problem", () => {
    const v = compareHeatmap(null, `<svg xmlns="http://www.w3.org/2000/svg">\n<text>A & B</text></svg>`, args);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message.en).toContain("line 2");
  });

  it("rejects a missing xmlns and a non-string result", () => {
    expect(compareHeatmap(null, "<svg/>", args).ok).toBe(false);
    expect(compareHeatmap(null, 42, args).ok).toBe(false);
  });
});
