/**
 * The kit against PyTorch 1.13: every case of the differential suite (oracle/differential/) run
 * on the kit and compared with what PyTorch computed for it (oracle/differential/expected.json):
 * both reject or both accept, and then the same dtype, shape, contiguity and values (float32 to
 * atol 1e-6 + rtol 1e-5). CI recomputes the expectations with Debian's PyTorch
 * (`npm run oracle:check`); regenerate them with `npm run oracle:differential`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { casesSha256, differentialCases } from "../../../oracle/differential/cases.ts";
import { compareOutcome, loadExpected, runKit } from "../../../oracle/differential/run.ts";

const doc = loadExpected();
const cases = differentialCases();

/** Every op the README documents, by the name the suite calls it. */
const DOCUMENTED = [
  // Tensor: info, values, shape ops
  "x.shape", "x.dtype", "x.ndim", "x.dim", "x.size", "x.numel", "x.isContiguous", "x.item", "x.tolist", "x.get",
  "x.clone", "x.contiguous", "x.view", "x.reshape", "x.transpose", "x.permute", "x.unsqueeze", "x.squeeze", "x.flatten",
  "x.expand", "x.repeat", "x.narrow", "x.slice", "x.select", "x.indexSelect", "x.sliceScatter", "x.tril", "x.triu",
  "x.maskedFill", "x.masked_fill",
  // elementwise
  "x.add", "x.sub", "x.mul", "x.div", "x.pow", "x.maximum", "x.minimum", "x.neg", "x.abs", "x.exp", "x.log", "x.sqrt",
  "x.rsqrt", "x.sin", "x.cos", "x.tanh", "x.sigmoid", "x.relu", "x.clamp", "x.eq", "x.ne", "x.lt", "x.le", "x.gt", "x.ge",
  "x.logicalNot", "x.logicalAnd", "x.logicalOr", "x.isnan", "x.isinf", "x.isfinite",
  // reductions, nn-ish, dtype, in place
  "x.sum", "x.mean", "x.max", "x.min", "x.amax", "x.amin", "x.argmax", "x.argmin", "x.var", "x.std", "x.any", "x.all",
  "x.softmax", "x.logSoftmax", "x.matmul", "x.float", "x.int", "x.bool", "x.to", "x.fill_", "x.zero_", "x.copy_",
  // torch
  "torch.tensor", "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.zerosLike", "torch.onesLike",
  "torch.fullLike", "torch.arange", "torch.linspace", "torch.eye", "torch.tril", "torch.triu", "torch.matmul", "torch.bmm",
  "torch.cat", "torch.stack", "torch.where", "torch.allclose", "torch.rand", "torch.randn", "torch.randint", "torch.randperm",
  "torch.exp", "torch.sum", "torch.max", "torch.transpose", "torch.softmax", "torch.maskedFill",
  // F, nn, nn.init
  "F.softmax", "F.logSoftmax", "F.relu", "F.gelu", "F.linear", "F.embedding", "F.layerNorm", "F.dropout", "F.pad",
  "nn.Linear", "nn.Embedding", "nn.LayerNorm", "nn.Dropout",
  "init.xavierUniform_", "init.xavierNormal_", "init.kaimingUniform_", "init.kaimingNormal_", "init.uniform_", "init.normal_",
  "init.zeros_", "init.ones_", "init.constant_", "init.calculateGain",
];

describe("differential suite: the kit against PyTorch 1.13", () => {
  it("the committed expectations were computed from the current generator's cases", () => {
    expect(doc.sha256, "the cases changed: run `npm run oracle:differential` to recompute the expectations with PyTorch").toBe(casesSha256(cases));
    expect(doc.cases.map((c) => c.id)).toEqual(cases.map((c) => c.id));
  });

  it("covers at least 2,000 cases and every op the README documents", () => {
    expect(cases.length).toBeGreaterThanOrEqual(2000);
    const ops = new Set(cases.flatMap((c) => c.steps.map((s) => s.op)));
    expect(DOCUMENTED.filter((op) => !ops.has(op))).toEqual([]);
    // Both sides of the accept/reject question are exercised.
    expect(doc.cases.filter((c) => !c.expected.ok).length).toBeGreaterThan(300);
  });

  it("every deviation a case relies on is listed, with its reason in English and Japanese", () => {
    const list = (JSON.parse(readFileSync(new URL("./deviations.json", import.meta.url), "utf8")) as {
      deviations: { id: string; pytorch: { en: string; ja: string }; kit: { en: string; ja: string }; reason: { en: string; ja: string } }[];
    }).deviations;
    const ids = new Set(list.map((d) => d.id));
    expect(ids.size).toBe(list.length);
    for (const d of list) for (const part of [d.pytorch, d.kit, d.reason]) expect(part.en.length > 0 && part.ja.length > 0, d.id).toBe(true);
    const used = new Set(cases.flatMap((c) => (c.deviation === undefined ? [] : [c.deviation])));
    expect([...used].filter((u) => !ids.has(u))).toEqual([]);
  });

  it("the kit agrees with PyTorch on every case (accept/reject, dtype, shape, contiguity, values)", () => {
    const problems: string[] = [];
    cases.forEach((c, i) => {
      const expected = doc.cases[i]!.expected;
      const p = compareOutcome(c, expected, runKit(c));
      if (p !== null) problems.push(`${c.id} ${c.steps.map((s) => s.op).join(" > ")}: ${p}`);
    });
    expect(problems.slice(0, 20), `${problems.length} disagreements`).toEqual([]);
  });
});
