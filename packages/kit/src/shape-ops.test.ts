import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { expectAllClose, makeRng, messageOf, numel, pair, randBoolPair, randIntPair, randPair, tf, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

describe("view / reshape", () => {
  const rng = makeRng(808);
  it("match tf.reshape with -1 and both argument styles", () => {
    const p = randPair(rng, [2, 3, 4]);
    expectAllClose(p.k.view(6, 4), tf.reshape(p.t, [6, 4]));
    expectAllClose(p.k.view([4, -1]), tf.reshape(p.t, [4, 6]));
    expectAllClose(p.k.reshape(-1), tf.reshape(p.t, [24]));
    expectAllClose(p.k.reshape([2, 1, 12]), tf.reshape(p.t, [2, 1, 12]));
    expectAllClose(torch.reshape(p.k, 3, 8), tf.reshape(p.t, [3, 8]));
    expectAllClose(torch.tensor(5).view(1, 1), tf.reshape(tf.scalar(5), [1, 1]));
    expect(torch.zeros(1, 1).view([]).shape).toEqual([]);
  });

  it("invalid sizes use PyTorch's message", () => {
    const x = torch.zeros(640);
    const e = messageOf(() => x.view(2, -1, 8, 7));
    expect(e.name).toBe("KitError");
    expect(e.message).toBe("shape '[2, -1, 8, 7]' is invalid for input of size 640");
    expect(e.messageJa).toContain("[2, -1, 8, 7]");
    expect(messageOf(() => x.reshape(3, 7)).message).toBe("shape '[3, 7]' is invalid for input of size 640");
    expect(messageOf(() => x.view(-1, -1)).message).toBe("only one dimension can be inferred");
  });

  it("view on a non-contiguous tensor throws PyTorch's error; contiguous()/reshape work", () => {
    const rngx = randPair(rng, [2, 5, 4, 8]); // [B, T, H, d]
    const split = rngx.k.transpose(1, 2); // [B, H, T, d], non-contiguous
    expect(split.isContiguous()).toBe(false);
    // Transposing back restores the original strides: contiguous again, as in PyTorch.
    expect(split.transpose(1, 2).isContiguous()).toBe(true);
    const heads = split.contiguous(); // e.g. the per-head attention output [B, H, T, d]
    const back = heads.transpose(1, 2); // [B, T, H, d], non-contiguous
    expect(back.isContiguous()).toBe(false);
    const e = messageOf(() => back.view(2, 5, 32));
    expect(e.message).toMatch(
      /^view size is not compatible with input tensor's size and stride \(at least one dimension spans across two contiguous subspaces\)\. Use \.reshape\(\.\.\.\) instead\./,
    );
    expect(e.message).toContain("[2, 5, 4, 8]");
    expect(e.message).toContain("[2, 5, 32]");
    expect(e.messageJa).toContain(".reshape(...)");
    const expected = tf.reshape(rngx.t, [2, 5, 32]);
    expectAllClose(back.contiguous().view(2, 5, 32), expected);
    expectAllClose(back.reshape(2, 5, 32), expected);
    expect(back.contiguous().isContiguous()).toBe(true);
  });

  it("view that PyTorch allows on non-contiguous tensors is allowed", () => {
    const p = randPair(rng, [2, 3, 4, 5]);
    const kt = p.k.transpose(-2, -1); // [2, 3, 5, 4]
    const v = kt.view(6, 5, 4); // merging batch dims is fine in PyTorch
    expect(v.isContiguous()).toBe(false);
    expectAllClose(v, tf.reshape(tf.transpose(p.t, [0, 1, 3, 2]), [6, 5, 4]));
    expect(() => kt.view(2, 3, 20)).toThrow(/view size is not compatible/);
    // Unsqueeze / squeeze of a non-contiguous tensor keep it non-contiguous, as in PyTorch.
    expect(kt.unsqueeze(0).isContiguous()).toBe(false);
    expect(() => kt.unsqueeze(1).view(2, 3, 20)).toThrow(/view size is not compatible/);
    // A transpose that only moves size-1 dims is still contiguous.
    expect(torch.zeros(1, 3).transpose(0, 1).isContiguous()).toBe(true);
    expect(torch.zeros(4, 3).expand(2, 4, 3).isContiguous()).toBe(false);
  });
});

describe("transpose / permute / unsqueeze / squeeze / flatten", () => {
  const rng = makeRng(909);
  it("transpose with negative dims", () => {
    const p = randPair(rng, [2, 3, 4, 5]);
    expectAllClose(p.k.transpose(-2, -1), tf.transpose(p.t, [0, 1, 3, 2]));
    expectAllClose(p.k.transpose(1, 2), tf.transpose(p.t, [0, 2, 1, 3]));
    expectAllClose(torch.transpose(p.k, 0, -1), tf.transpose(p.t, [3, 1, 2, 0]));
    expectAllClose(p.k.transpose(2, 2), p.t);
    const v = randPair(rng, [7]);
    expectAllClose(v.k.transpose(0, -1), v.t);
    const e = messageOf(() => p.k.transpose(0, 4));
    expect(e.message).toBe("Dimension out of range (expected to be in range of [-4, 3], but got 4)");
    expect(e.messageJa).toContain("[-4, 3]");
    expect(messageOf(() => torch.zeros(2, 3, 4).sum(3)).message).toBe(
      "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
    );
  });

  it("permute", () => {
    const p = randPair(rng, [2, 3, 4, 5]);
    expectAllClose(p.k.permute(0, 2, 1, 3), tf.transpose(p.t, [0, 2, 1, 3]));
    expectAllClose(p.k.permute([3, 0, 2, 1]), tf.transpose(p.t, [3, 0, 2, 1]));
    expectAllClose(torch.permute(p.k, -1, -2, -3, -4), tf.transpose(p.t, [3, 2, 1, 0]));
    expect(() => p.k.permute(0, 1, 2)).toThrow(/number of dims don't match/);
    expect(() => p.k.permute(0, 1, 1, 2)).toThrow(/duplicate dims/);
  });

  it("unsqueeze / squeeze", () => {
    const p = randPair(rng, [3, 1, 4, 1]);
    for (const d of [0, 1, 2, 3, 4, -1, -5]) {
      expectAllClose(p.k.unsqueeze(d), tf.expandDims(p.t, d < 0 ? d + 5 : d));
    }
    expect(() => p.k.unsqueeze(5)).toThrow(/expected to be in range of \[-5, 4\], but got 5/);
    expectAllClose(p.k.squeeze(), tf.squeeze(p.t));
    expectAllClose(p.k.squeeze(1), tf.squeeze(p.t, [1]));
    expectAllClose(p.k.squeeze(-1), tf.squeeze(p.t, [3]));
    expectAllClose(p.k.squeeze(0), p.t); // size 3: no-op like PyTorch
    expectAllClose(torch.squeeze(p.k, [1, 3]), tf.squeeze(p.t, [1, 3]));
    expect(torch.tensor(3).squeeze().shape).toEqual([]);
  });

  it("flatten", () => {
    const p = randPair(rng, [2, 3, 4, 5]);
    expectAllClose(p.k.flatten(), tf.reshape(p.t, [-1]));
    expectAllClose(p.k.flatten(1), tf.reshape(p.t, [2, 60]));
    expectAllClose(p.k.flatten(1, 2), tf.reshape(p.t, [2, 12, 5]));
    expectAllClose(torch.flatten(p.k, -2), tf.reshape(p.t, [2, 3, 20]));
    expect(torch.tensor(4).flatten().shape).toEqual([1]);
    expect(() => p.k.flatten(2, 1)).toThrow(/start_dim cannot come after end_dim/);
    // flatten of a transposed tensor works (reshape semantics) and matches.
    expectAllClose(p.k.transpose(1, 2).flatten(2), tf.reshape(tf.transpose(p.t, [0, 2, 1, 3]), [2, 4, 15]));
  });
});

describe("expand / repeat", () => {
  const rng = makeRng(1010);
  it("expand vs tf.broadcastTo", () => {
    const p = randPair(rng, [3, 1]);
    expectAllClose(p.k.expand(3, 4), tf.broadcastTo(p.t, [3, 4]));
    expectAllClose(p.k.expand([2, 3, 5]), tf.broadcastTo(p.t, [2, 3, 5]));
    expectAllClose(p.k.expand(-1, 6), tf.broadcastTo(p.t, [3, 6]));
    expectAllClose(p.k.expand(2, -1, -1), tf.broadcastTo(p.t, [2, 3, 1]));
    const m = randBoolPair(rng, [1, 1, 5]);
    expectAllClose(m.k.expand(2, 4, 5), tf.broadcastTo(m.t, [2, 4, 5]));
    const e = messageOf(() => torch.zeros(2, 3).expand(2, 5));
    expect(e.message).toBe(
      "The expanded size of the tensor (5) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 5].  Tensor sizes: [2, 3]",
    );
    expect(() => torch.zeros(2, 3).expand(3)).toThrow(/number of sizes provided \(1\)/);
    expect(() => torch.zeros(3).expand(-1, 3)).toThrow(/leading, non-existing dimension 0/);
  });

  it("repeat vs tf.tile", () => {
    const p = randPair(rng, [2, 3]);
    expectAllClose(p.k.repeat(2, 2), tf.tile(p.t, [2, 2]));
    expectAllClose(p.k.repeat([1, 3]), tf.tile(p.t, [1, 3]));
    expectAllClose(p.k.repeat(4, 1, 2), tf.tile(tf.expandDims(p.t, 0), [4, 1, 2]));
    expect(p.k.repeat(0, 1).shape).toEqual([0, 3]);
    expect(() => p.k.repeat(2)).toThrow(/can not be smaller than number of dimensions/);
  });
});

describe("narrow / slice / select / indexSelect / sliceScatter", () => {
  const rng = makeRng(1111);
  it("narrow and slice vs tf.slice / tf.stridedSlice", () => {
    const p = randPair(rng, [4, 6, 5]);
    expectAllClose(p.k.narrow(1, 2, 3), tf.slice(p.t, [0, 2, 0], [4, 3, 5]));
    expectAllClose(torch.narrow(p.k, -1, -3, 2), tf.slice(p.t, [0, 0, 2], [4, 6, 2]));
    expectAllClose(p.k.slice(1, 1, 5), tf.slice(p.t, [0, 1, 0], [4, 4, 5]));
    expectAllClose(p.k.slice(1, -2), tf.slice(p.t, [0, 4, 0], [4, 2, 5]));
    expectAllClose(p.k.slice(0, null, -1), tf.slice(p.t, [0, 0, 0], [3, 6, 5]));
    expectAllClose(p.k.slice(1, 0, 6, 2), tf.stridedSlice(p.t, [0, 0, 0], [4, 6, 5], [1, 2, 1]));
    expectAllClose(p.k.slice(2, 1, 100, 3), tf.stridedSlice(p.t, [0, 0, 1], [4, 6, 5], [1, 1, 3]));
    expect(p.k.slice(1, 4, 2).shape).toEqual([4, 0, 5]);
    expect(p.k.slice(1, -100, 100).shape).toEqual([4, 6, 5]);
    expect(() => p.k.narrow(1, 4, 3)).toThrow(/start \(4\) \+ length \(3\) exceeds dimension size \(6\)/);
    expect(() => p.k.narrow(1, 7, 0)).toThrow(/start out of range/);
    expect(() => p.k.slice(1, 0, 4, 0)).toThrow(/step must be a positive integer/);
  });

  it("select", () => {
    const p = randPair(rng, [3, 4, 5]);
    expectAllClose(p.k.select(0, 1), tf.squeeze(tf.slice(p.t, [1, 0, 0], [1, 4, 5]), [0]));
    expectAllClose(p.k.select(-1, -1), tf.squeeze(tf.slice(p.t, [0, 0, 4], [3, 4, 1]), [2]));
    expectAllClose(torch.select(p.k, 1, 2), tf.squeeze(tf.slice(p.t, [0, 2, 0], [3, 1, 5]), [1]));
    expect(messageOf(() => torch.zeros(3, 4).select(0, 5)).message).toBe(
      "select(): index 5 out of range for tensor of size [3, 4] at dimension 0",
    );
  });

  it("indexSelect vs tf.gather", () => {
    const p = randPair(rng, [5, 4, 3]);
    const idx = torch.tensor([4, 0, 0, 2], { dtype: torch.int32 });
    const tidx = tf.tensor1d([4, 0, 0, 2], "int32");
    for (const d of [0, 1, 2, -1]) {
      const i = d === 0 ? idx : idx.clamp(0, p.k.size(d) - 1);
      const ti = d === 0 ? tidx : tf.clipByValue(tidx, 0, p.k.size(d) - 1);
      expectAllClose(p.k.indexSelect(d, i), tf.gather(p.t, ti, d < 0 ? d + 3 : d));
    }
    // PyTorch's index_select does not wrap: -1 is out of range.
    expect(() => torch.indexSelect(p.k, 0, torch.tensor([-1], { dtype: "int32" }))).toThrow(/index out of range in self: index -1/);
    expect(() => p.k.indexSelect(0, torch.tensor([5], { dtype: "int32" }))).toThrow(/index out of range in self/);
    expect(() => p.k.indexSelect(0, torch.tensor([1]))).toThrow(/Expected dtype int32 for index/);
  });

  it("sliceScatter returns a copy with the slice replaced", () => {
    const x = randPair(rng, [4, 6]);
    const src = randPair(rng, [4, 2]);
    const r = x.k.sliceScatter(src.k, 1, 2, 4);
    const expected = tf.concat([tf.slice(x.t, [0, 0], [4, 2]), src.t, tf.slice(x.t, [0, 4], [4, 2])], 1);
    expectAllClose(r, expected);
    expectAllClose(x.k, x.t); // the input is unchanged
    // Stepped: columns 0, 3 of a [4, 6].
    const s2 = randPair(rng, [4, 2]);
    const r2 = torch.sliceScatter(x.k, s2.k, -1, 0, null, 3);
    const xd = x.k.tolist() as number[][];
    const sd = s2.k.tolist() as number[][];
    const exp2 = xd.map((row, i) => row.map((v, j) => (j % 3 === 0 ? sd[i]![j / 3]! : v)));
    expectAllClose(r2, { shape: [4, 6], values: exp2.flat() });
    // Rows (dim 0), the chunked-attention use: write a block of queries' outputs.
    const out = torch.zeros(8, 3);
    const blk = randPair(rng, [2, 3]);
    expectAllClose(out.sliceScatter(blk.k, 0, 4, 6), tf.concat([tf.zeros([4, 3]), blk.t, tf.zeros([2, 3])], 0));
    const e = messageOf(() => x.k.sliceScatter(torch.zeros(4, 3), 1, 0, 2));
    expect(e.message).toContain("src size = [4, 3], slice size = [4, 2]");
  });
});

describe("cat / stack / tril / triu", () => {
  const rng = makeRng(1212);
  it("cat vs tf.concat with negative dims and dtype promotion", () => {
    const a = randPair(rng, [2, 3, 4]);
    const b = randPair(rng, [2, 5, 4]);
    const c = randPair(rng, [2, 1, 4]);
    expectAllClose(torch.cat([a.k, b.k, c.k], 1), tf.concat([a.t, b.t, c.t], 1));
    expectAllClose(torch.cat([a.k, a.k], -1), tf.concat([a.t, a.t], 2));
    expectAllClose(torch.cat([a.k, a.k]), tf.concat([a.t, a.t], 0));
    const i = randIntPair(rng, [2, 3, 4]);
    const mixed = torch.cat([a.k, i.k], 0);
    expect(mixed.dtype).toBe("float32");
    expectAllClose(mixed, tf.concat([a.t, tf.cast(i.t, "float32")], 0));
    expectAllClose(torch.cat([torch.zeros(0), a.k.flatten()]), tf.reshape(a.t, [-1]));
    const e = messageOf(() => torch.cat([a.k, b.k], 2));
    expect(e.message).toContain("Sizes of tensors must match except in dimension 2");
    expect(e.message).toContain("[2, 3, 4] and [2, 5, 4]");
    expect(() => torch.cat([])).toThrow(/non-empty list/);
  });

  it("stack vs tf.stack", () => {
    const xs = [randPair(rng, [3, 4]), randPair(rng, [3, 4]), randPair(rng, [3, 4])];
    for (const d of [0, 1, 2, -1, -3]) {
      expectAllClose(torch.stack(xs.map((p) => p.k), d), tf.stack(xs.map((p) => p.t), d < 0 ? d + 3 : d));
    }
    const e = messageOf(() => torch.stack([torch.zeros(2, 3), torch.zeros(2, 4)]));
    expect(e.message).toBe("stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1");
  });

  it("tril / triu vs tf.linalg.bandPart and explicit loops", () => {
    const p = randPair(rng, [2, 5, 6]);
    expectAllClose(torch.tril(p.k), tf.linalg.bandPart(p.t, -1, 0));
    expectAllClose(torch.triu(p.k), tf.linalg.bandPart(p.t, 0, -1));
    const data = p.k.tolist() as number[][][];
    for (const diag of [-2, -1, 1, 3]) {
      const lower = data.map((m) => m.map((row, i) => row.map((v, j) => (j - i <= diag ? v : 0))));
      const upper = data.map((m) => m.map((row, i) => row.map((v, j) => (j - i >= diag ? v : 0))));
      expectAllClose(torch.tril(p.k, diag), { shape: [2, 5, 6], values: lower.flat(2) });
      expectAllClose(torch.triu(p.k, diag), { shape: [2, 5, 6], values: upper.flat(2) });
    }
    expect(() => torch.tril(torch.zeros(3))).toThrow(/at least 2 dimensions/);
    expect(torch.tril(torch.ones(3, 3)).eq(0).dtype).toBe("bool");
  });
});

describe("values access", () => {
  it("item / tolist / get / data / size", () => {
    const x = pair(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]).k;
    expect(x.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(x.get(1, -1)).toBe(6);
    expect(x.size()).toEqual([2, 3]);
    expect(x.size(-1)).toBe(3);
    expect(x.shape).toEqual([2, 3]);
    expect(x.ndim).toBe(2);
    expect(x.dim()).toBe(2);
    expect(x.numel()).toBe(numel([2, 3]));
    const d = x.data();
    d[0] = 100;
    expect(x.get(0, 0)).toBe(1);
    const s = x.shape;
    s[0] = 9;
    expect(x.shape).toEqual([2, 3]);
    expect(x.sum().item()).toBe(21);
    expect(() => x.item()).toThrow(/a Tensor with 6 elements cannot be converted to Scalar/);
    expect(() => x.get(2, 0)).toThrow(/index 2 is out of bounds for dimension 0 with size 2/);
    expect(torch.tensor(3).tolist()).toBe(3);
    expect(() => torch.tensor(3).size(-1)).toThrow(/Dimension specified as -1 but tensor has no dimensions/);
    expect(String(torch.tensor([[1, 2]]))).toBe("tensor([[1,2]], shape=[1, 2], dtype=float32)");
  });
});
