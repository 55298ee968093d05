import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { expectAllClose, messageOf, tf, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

describe("torch.tensor", () => {
  it("infers shape and dtype (booleans -> bool, numbers -> float32)", () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe("float32");
    expect(x.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b = torch.tensor([[true, false], [false, true]]);
    expect(b.dtype).toBe("bool");
    expect(b.tolist()).toEqual([[1, 0], [0, 1]]);
    expect(torch.tensor(2.5).shape).toEqual([]);
    expect(torch.tensor([]).shape).toEqual([0]);
    expect(torch.tensor([[]]).shape).toEqual([1, 0]);
    expect(torch.tensor([1.7, -2.2], { dtype: torch.int32 }).tolist()).toEqual([1, -2]);
    expect(torch.tensor([0, 3], { dtype: torch.bool }).tolist()).toEqual([0, 1]);
    expect(torch.tensor([new Float32Array([1, 2]), new Float32Array([3, 4])]).shape).toEqual([2, 2]);
    expect(torch.tensor([0.1]).get(0)).toBe(Math.fround(0.1));
    const c = torch.tensor(x);
    expect(c).not.toBe(x);
    expect(c.tolist()).toEqual(x.tolist());
  });

  it("rejects ragged and non-numeric input", () => {
    expect(messageOf(() => torch.tensor([[1, 2], [3]])).message).toMatch(/expected sequence of length 2 at dim 1 \(got 1\)/);
    expect(() => torch.tensor([[1, 2], 3] as unknown as number[][])).toThrow(/expected sequence of length 2 at dim 1/);
    expect(() => torch.tensor(["a"] as unknown as number[])).toThrow(/could not convert element data\[0\]/);
  });
});

describe("filled factories", () => {
  it("zeros / ones / full / empty with shape as arguments or one array", () => {
    expect(torch.zeros(2, 3).shape).toEqual([2, 3]);
    expect(torch.zeros([2, 3]).tolist()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(torch.ones(2, { dtype: torch.int32 }).dtype).toBe("int32");
    expect(torch.ones([2, 2], { dtype: "bool" }).tolist()).toEqual([[1, 1], [1, 1]]);
    expect(torch.full([2, 2], 7).tolist()).toEqual([[7, 7], [7, 7]]);
    expect(torch.full([2], true).dtype).toBe("bool");
    expect(torch.full([2], -Infinity).tolist()).toEqual([-Infinity, -Infinity]);
    expect(torch.empty(3).tolist()).toEqual([0, 0, 0]);
    // PyTorch has no default size: zeros() is an error, zeros([]) a 0-d tensor.
    expect(() => torch.zeros()).toThrow(/zeros\(\) missing the size/);
    expect(torch.zeros([]).shape).toEqual([]);
    expect(() => torch.zeros(2, -3)).toThrow(/Trying to create tensor with negative dimension -3: \[2, -3\]/);
    expect(() => torch.zeros(2.5)).toThrow(/must be a sequence of integers/);
  });

  it("zerosLike / onesLike / fullLike keep shape and dtype", () => {
    const x = torch.tensor([[1, 2]], { dtype: "int32" });
    expect(torch.zerosLike(x).dtype).toBe("int32");
    expect(torch.onesLike(x).tolist()).toEqual([[1, 1]]);
    expect(torch.fullLike(x, 4, { dtype: "float32" }).dtype).toBe("float32");
    expect(torch.fullLike(x, 4).tolist()).toEqual([[4, 4]]);
  });
});

describe("arange / linspace / eye vs tf", () => {
  it("arange", () => {
    const a = torch.arange(5);
    expect(a.dtype).toBe("int32");
    expectAllClose(a, tf.range(0, 5, 1, "int32"));
    expectAllClose(torch.arange(2, 11, 3), tf.range(2, 11, 3, "int32"));
    expectAllClose(torch.arange(5, -3, -2), tf.range(5, -3, -2, "int32"));
    const f = torch.arange(0, 1, 0.1);
    expect(f.dtype).toBe("float32");
    expectAllClose(f, tf.range(0, 1, 0.1));
    expectAllClose(torch.arange(0, 4, { dtype: torch.float32 }), tf.range(0, 4, 1, "float32"));
    expect(torch.arange(3, 3).shape).toEqual([0]);
    expect(() => torch.arange(0, 5, 0)).toThrow(/step must be nonzero/);
    expect(() => torch.arange(5, 0)).toThrow(/inconsistent with step sign/);
  });

  it("linspace", () => {
    expectAllClose(torch.linspace(0, 1, 11), tf.linspace(0, 1, 11));
    expectAllClose(torch.linspace(-3, 7, 6), tf.linspace(-3, 7, 6));
    expect(torch.linspace(2, 5, 1).tolist()).toEqual([2]);
    expect(torch.linspace(0, 1, 0).shape).toEqual([0]);
    expect(torch.linspace(0, 1, 5).tolist()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("eye", () => {
    expectAllClose(torch.eye(4), tf.eye(4));
    expectAllClose(torch.eye(3, 5), tf.eye(3, 5));
    expect(torch.eye(2, { dtype: "int32" }).dtype).toBe("int32");
  });
});

describe("dtype constants", () => {
  it("float32 int32 bool float long", () => {
    expect([torch.float32, torch.int32, torch.bool, torch.float, torch.long]).toEqual(["float32", "int32", "bool", "float32", "int32"]);
    expect(() => torch.zeros(2).to("float64" as "float32")).toThrow(/invalid dtype float64/);
  });
});
