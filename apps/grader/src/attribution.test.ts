import type { PitfallHit } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { type CaseEvidence, type TestAttribution, attribute } from "./attribution.ts";

const hit = (id: string): PitfallHit => ({ id, title: { ja: id, en: id }, explanation: { ja: "", en: "" }, fix: { ja: "", en: "" } });
const lookup = (id: string): PitfallHit | null => hit(id);

function ev(applies: string[], matches: string[], valued = true, throws: string[] = []): CaseEvidence {
  return { predicted: new Set([...applies, ...matches, ...throws]), throws: new Set(throws), applies: new Set(applies), matches: new Set(matches), valued };
}
const test = (evidence: CaseEvidence | null, claimed: string[] = []): TestAttribution => ({ evidence, claimed });
const names = (all: TestAttribution[]): (string | null)[] => attribute(all, lookup).map((f) => f.pitfall?.id ?? null);

describe("attribute: a pitfall is named only on discriminating evidence", () => {
  it("names a pitfall whose variant alone predicts the output and differs from the right answer", () => {
    expect(names([test(ev(["p", "q"], ["p"]))])).toEqual(["p"]);
  });

  it("does not name a variant that cannot differ from the right answer on this input", () => {
    expect(names([test(ev(["q"], ["p", "q"]))])).toEqual(["q"]);
    expect(names([test(ev([], ["p"]))])).toEqual([null]);
  });

  it("says 'consistent with P or Q' when both predict the output, and names neither", () => {
    const [f] = attribute([test(ev(["p", "q"], ["p", "q"]))], lookup);
    expect(f?.pitfall).toBeNull();
    expect(f?.note?.en).toMatch(/consistent with any of: p \/ q/);
  });

  it("drops a pitfall that another test contradicts (its variant differed there, the output did not follow)", () => {
    // Test 2 passed (matches nothing) where p's variant differs: the code does not have p.
    expect(names([test(ev(["p"], ["p"])), test(ev(["p"], []))])).toEqual([null, null]);
  });

  it("a variant that predicts an exception is not contradicted by a value", () => {
    expect(names([test(ev(["t"], ["t"], false, ["t"])), test(ev(["t"], [], true, ["t"]))])).toEqual(["t", null]);
  });

  it("an output several variants fit is explained by the one established elsewhere", () => {
    const all = [test(ev(["nan", "overflow"], ["nan", "overflow"])), test(ev(["overflow"], ["overflow"]))];
    expect(names(all)).toEqual(["overflow", "overflow"]);
  });

  it("drops a claim of a check with no variant when the cases found it only beside an established pitfall", () => {
    const all = [test(ev(["nan", "overflow"], ["nan", "overflow"])), test(ev(["overflow"], ["overflow"])), test(null, ["nan"])];
    expect(names(all)).toEqual(["overflow", "overflow", null]);
  });

  it("keeps a check's claim that no evidence contradicts", () => {
    expect(names([test(null, ["r"])])).toEqual(["r"]);
    // ... but not one its own input's variant contradicts.
    expect(names([test(ev(["r"], []), ["r"])])).toEqual([null]);
  });
});
