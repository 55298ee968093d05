import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { nn } from "./nn.ts";
import type { Tensor } from "./tensor.ts";
import { Generator } from "./random.ts";
import { expectAllClose, makeRng, messageOf, randPair, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

/** Sample mean and (biased) variance in float64. */
function moments(t: Tensor): { mean: number; variance: number; maxAbs: number } {
  const d = t.data();
  let s = 0;
  let m = 0;
  for (const v of d) {
    s += v;
    m = Math.max(m, Math.abs(v));
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { mean, variance: ss / d.length, maxAbs: m };
}

/** Checks U(-bound, bound): all values inside, variance bound^2/3 within 5 standard errors. */
function expectUniform(t: Tensor, bound: number): void {
  const n = t.numel();
  const { mean, variance, maxAbs } = moments(t);
  expect(maxAbs).toBeLessThanOrEqual(bound);
  expect(maxAbs).toBeGreaterThan(0.99 * bound);
  const expectedVar = (bound * bound) / 3;
  // Var(x^2) for U(-a, a) is 4a^4/45.
  expect(Math.abs(variance - expectedVar)).toBeLessThan(5 * Math.sqrt((4 * bound ** 4) / 45 / n));
  expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(expectedVar / n));
}

/** Checks N(0, std^2): variance within 5 standard errors (se of s^2 = std^2 sqrt(2/n)). */
function expectNormal(t: Tensor, std: number): void {
  const n = t.numel();
  const { mean, variance } = moments(t);
  expect(Math.abs(variance - std * std)).toBeLessThan(5 * std * std * Math.sqrt(2 / n));
  expect(Math.abs(mean)).toBeLessThan((5 * std) / Math.sqrt(n));
}

describe("nn.init follows PyTorch's formulas", () => {
  it("calculateGain", () => {
    expect(nn.init.calculateGain("linear")).toBe(1);
    expect(nn.init.calculateGain("sigmoid")).toBe(1);
    expect(nn.init.calculateGain("tanh")).toBeCloseTo(5 / 3, 12);
    expect(nn.init.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 12);
    expect(nn.init.calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(nn.init.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(nn.init.calculateGain("selu")).toBe(0.75);
    expect(() => nn.init.calculateGain("gelu" as "relu")).toThrow(/Unsupported nonlinearity gelu/);
  });

  it("xavierUniform_: bound = gain * sqrt(6 / (fan_in + fan_out))", () => {
    const w = torch.empty(256, 512);
    expect(nn.init.xavierUniform_(w, 1, new Generator(1))).toBe(w);
    expectUniform(w, Math.sqrt(6 / (256 + 512)));
    const w2 = torch.empty(300, 200);
    nn.init.xavierUniform_(w2, { gain: 2, generator: new Generator(2) });
    expectUniform(w2, 2 * Math.sqrt(6 / 500));
  });

  it("xavierNormal_: std = gain * sqrt(2 / (fan_in + fan_out))", () => {
    const w = torch.empty(400, 300);
    nn.init.xavierNormal_(w, nn.init.calculateGain("tanh"), new Generator(3));
    expectNormal(w, (5 / 3) * Math.sqrt(2 / 700));
  });

  it("kaimingUniform_: bound = gain * sqrt(3 / fan), default a=0, fan_in, leaky_relu", () => {
    const w = torch.empty(128, 1024);
    nn.init.kaimingUniform_(w, { generator: new Generator(4) });
    expectUniform(w, Math.SQRT2 * Math.sqrt(3 / 1024));
    const w2 = torch.empty(512, 256);
    nn.init.kaimingUniform_(w2, Math.sqrt(5), "fan_in", "leaky_relu", new Generator(5));
    expectUniform(w2, 1 / Math.sqrt(256));
    const w3 = torch.empty(512, 256);
    nn.init.kaimingUniform_(w3, { mode: "fan_out", nonlinearity: "relu", generator: new Generator(6) });
    expectUniform(w3, Math.SQRT2 * Math.sqrt(3 / 512));
  });

  it("kaimingNormal_: std = gain / sqrt(fan); receptive field in the fans", () => {
    const w = torch.empty(300, 400);
    nn.init.kaimingNormal_(w, { mode: "fan_out", nonlinearity: "relu", generator: new Generator(7) });
    expectNormal(w, Math.SQRT2 / Math.sqrt(300));
    const conv = torch.empty(64, 32, 3, 3); // fan_in = 32*9, fan_out = 64*9
    nn.init.kaimingNormal_(conv, 0, "fan_in", "relu", new Generator(8));
    expectNormal(conv, Math.SQRT2 / Math.sqrt(32 * 9));
    const conv2 = torch.empty(64, 32, 3, 3);
    nn.init.xavierUniform_(conv2, { generator: new Generator(9) });
    expectUniform(conv2, Math.sqrt(6 / (32 * 9 + 64 * 9)));
  });

  it("uniform_, normal_, zeros_, ones_, constant_ and errors", () => {
    const t = torch.empty(200, 300);
    nn.init.uniform_(t, -0.3, 0.3, new Generator(10));
    expectUniform(t, 0.3);
    nn.init.normal_(t, 0, 0.02, new Generator(11));
    expectNormal(t, 0.02);
    expect(nn.init.zeros_(t).abs().sum().item()).toBe(0);
    expect(nn.init.ones_(t).sum().item()).toBe(60000);
    expect(nn.init.constant_(t, 0.5).mean().item()).toBe(0.5);
    expect(() => nn.init.xavierUniform_(torch.empty(5))).toThrow(/fewer than 2 dimensions/);
    expect(() => nn.init.kaimingUniform_(torch.empty(5, 5), { mode: "fan_avg" as "fan_in" })).toThrow(/Mode fan_avg not supported/);
  });

  it("is reproducible with a generator", () => {
    const a = nn.init.xavierNormal_(torch.empty(3, 4), 1, new Generator(12));
    const b = nn.init.xavierNormal_(torch.empty(3, 4), 1, new Generator(12));
    expect(a.tolist()).toEqual(b.tolist());
  });
});

describe("modules", () => {
  const rng = makeRng(1919);
  it("Linear: PyTorch default init, forward = F.linear", () => {
    const lin = new nn.Linear(256, 128, { generator: new Generator(13) });
    expect(lin.weight.shape).toEqual([128, 256]);
    expect(lin.bias?.shape).toEqual([128]);
    expectUniform(lin.weight, 1 / Math.sqrt(256));
    expect(lin.bias!.abs().max().item()).toBeLessThanOrEqual(1 / Math.sqrt(256));
    const x = randPair(rng, [2, 3, 256]);
    expectAllClose(lin.forward(x.k), F.linear(x.k, lin.weight, lin.bias));
    // Weight then bias, drawn as uniforms from the generator.
    const small = new nn.Linear(4, 3, { generator: new Generator(14) });
    const u = torch.rand(15, { generator: new Generator(14) });
    const b = 1 / Math.sqrt(4);
    expectAllClose(small.weight.flatten(), u.narrow(0, 0, 12).mul(2 * b).sub(b));
    expectAllClose(small.bias!, u.narrow(0, 12, 3).mul(2 * b).sub(b));
    const noBias = new nn.Linear(4, 3, { bias: false });
    expect(noBias.bias).toBeNull();
    expect(Object.keys(noBias.stateDict())).toEqual(["weight"]);
  });

  it("Embedding, LayerNorm, Dropout", () => {
    const emb = new nn.Embedding(10, 4, { paddingIdx: 0, generator: new Generator(15) });
    expect(emb.weight.select(0, 0).abs().sum().item()).toBe(0);
    const ids = torch.tensor([[0, 3], [9, 3]], { dtype: torch.long });
    expectAllClose(emb.forward(ids), F.embedding(ids, emb.weight));
    const big = new nn.Embedding(1000, 100, { generator: new Generator(16) });
    expectNormal(big.weight, 1);

    const ln = new nn.LayerNorm(8);
    expect(ln.weight!.sum().item()).toBe(8);
    expect(ln.bias!.sum().item()).toBe(0);
    const x = randPair(rng, [3, 8]);
    expectAllClose(ln.forward(x.k), F.layerNorm(x.k, [8]));
    const ln2 = new nn.LayerNorm([2, 4], { eps: 1e-3, elementwiseAffine: false });
    expect(ln2.parameters()).toEqual([]);
    expectAllClose(ln2.forward(x.k.view(3, 2, 4)), F.layerNorm(x.k.view(3, 2, 4), [2, 4], null, null, 1e-3));

    const drop = new nn.Dropout(0.5, { generator: new Generator(17) });
    const ones = torch.ones(1000);
    const y = drop.forward(ones);
    expect(y.eq(0).any().item()).toBe(1);
    drop.eval();
    expect(drop.training).toBe(false);
    expect(drop.forward(ones).tolist()).toEqual(ones.tolist());
    expect(() => new nn.Dropout(2)).toThrow(/between 0 and 1/);
  });
});

class Block extends nn.Module {
  attn: nn.Linear;
  norm: nn.LayerNorm;
  drop: nn.Dropout;
  constructor() {
    super();
    this.attn = new nn.Linear(4, 4, { generator: new Generator(1) });
    this.norm = new nn.LayerNorm(4);
    this.drop = new nn.Dropout(0.1);
  }
  override forward(x: Tensor): Tensor {
    return this.drop.forward(this.norm.forward(this.attn.forward(x)));
  }
}

class Model extends nn.Module {
  embed: nn.Embedding;
  scale: Tensor;
  layers: Block[];
  head: nn.Linear;
  name = "model";
  constructor() {
    super();
    this.embed = new nn.Embedding(6, 4, { generator: new Generator(2) });
    this.scale = torch.ones(1);
    this.layers = [new Block(), new Block()];
    this.head = new nn.Linear(4, 2, { bias: false, generator: new Generator(3) });
  }
  override forward(ids: Tensor): Tensor {
    let h = this.embed.forward(ids).mul(this.scale);
    for (const l of this.layers) h = l.forward(h);
    return this.head.forward(h);
  }
}

describe("Module", () => {
  const keys = [
    "embed.weight",
    "scale",
    "layers.0.attn.weight",
    "layers.0.attn.bias",
    "layers.0.norm.weight",
    "layers.0.norm.bias",
    "layers.1.attn.weight",
    "layers.1.attn.bias",
    "layers.1.norm.weight",
    "layers.1.norm.bias",
    "head.weight",
  ];

  it("namedParameters walks Tensor and Module fields in insertion order", () => {
    const m = new Model();
    expect(m.namedParameters().map(([n]) => n)).toEqual(keys);
    expect(m.parameters().length).toBe(keys.length);
    expect(Object.keys(m.stateDict())).toEqual(keys);
    expect(m.stateDict()["head.weight"]).toBe(m.head.weight);
    expect(m.namedChildren().map(([n]) => n)).toEqual(["embed", "layers.0", "layers.1", "head"]);
  });

  it("train / eval propagate to sub-modules", () => {
    const m = new Model();
    m.eval();
    expect(m.training).toBe(false);
    expect(m.layers[1]!.drop.training).toBe(false);
    const ids = torch.tensor([[1, 2, 5]], { dtype: "int32" });
    expect(m.forward(ids).tolist()).toEqual(m.forward(ids).tolist());
    m.train();
    expect(m.layers[0]!.drop.training).toBe(true);
  });

  it("loadStateDict copies values in place", () => {
    const a = new Model();
    const b = new Model();
    for (const p of b.parameters()) p.uniform_(-1, 1, new Generator(4));
    const w = a.head.weight;
    const res = a.loadStateDict(b.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(a.head.weight).toBe(w);
    for (const k of keys) expect(a.stateDict()[k]!.tolist()).toEqual(b.stateDict()[k]!.tolist());
    const map = new Map(Object.entries(b.stateDict()));
    expect(new Model().loadStateDict(map).missingKeys).toEqual([]);
  });

  it("strict loading reports missing and unexpected keys in PyTorch's format", () => {
    const m = new Model();
    const sd = { ...m.stateDict() };
    delete sd["layers.1.norm.bias"];
    delete sd["scale"];
    sd["extra.weight"] = torch.zeros(2);
    const before = m.embed.weight.tolist();
    const other = new Model();
    for (const p of other.parameters()) p.fill_(3);
    const sd2: Record<string, Tensor> = { ...other.stateDict(), "extra.weight": torch.zeros(2) };
    delete sd2["layers.1.norm.bias"];
    delete sd2["scale"];
    const e = messageOf(() => m.loadStateDict(sd2));
    expect(e.name).toBe("KitError");
    expect(e.message).toBe(
      'Error(s) in loading state_dict for Model:\n\tMissing key(s) in state_dict: "scale", "layers.1.norm.bias".\n\tUnexpected key(s) in state_dict: "extra.weight".',
    );
    expect(e.messageJa).toContain('"scale", "layers.1.norm.bias"');
    expect(e.messageJa).toContain('"extra.weight"');
    // Nothing was copied.
    expect(m.embed.weight.tolist()).toEqual(before);
    // Non-strict loading copies what matches and reports the rest.
    const res = m.loadStateDict(sd2, false);
    expect(res).toEqual({ missingKeys: ["scale", "layers.1.norm.bias"], unexpectedKeys: ["extra.weight"] });
    expect(m.embed.weight.sum().item()).toBe(3 * 24);
    expect(sd["extra.weight"]!.shape).toEqual([2]);
  });

  it("shape mismatches are errors even when not strict", () => {
    const lin = new nn.Linear(4, 3);
    const e = messageOf(() => lin.loadStateDict({ weight: torch.zeros(4, 3), bias: torch.zeros(3) }, false));
    expect(e.message).toBe(
      "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with shape [4, 3] from checkpoint, the shape in current model is [3, 4].",
    );
  });

  it("a module without forward explains itself", () => {
    class Empty extends nn.Module {}
    expect(() => new Empty().forward()).toThrow(/Module \[Empty\] is missing the required "forward" function/);
  });
});
