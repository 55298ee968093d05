/**
 * What the differential suite against PyTorch 1.13 (oracle/differential/) found, one test per
 * finding, each checked against Debian's PyTorch before the kit changed: the kit rejects what
 * PyTorch rejects (a KitError in English and Japanese), accepts what it accepts, and keeps
 * precision where it used to lose it.
 */
import { describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { KitError } from "./errors.ts";
import type { Tensor } from "./tensor.ts";

/** The KitError `f` throws (fails when it throws nothing or something else). */
function kitErrorOf(f: () => unknown): KitError {
  try {
    f();
  } catch (e) {
    if (e instanceof KitError) return e;
    throw new Error(`expected a KitError, got ${String(e)}`);
  }
  throw new Error("expected a KitError, but the call succeeded");
}

/** Rejected with an English message matching `en` and a Japanese one that is not the English. */
function expectRejected(f: () => unknown, en: RegExp): void {
  const e = kitErrorOf(f);
  expect(e.message).toMatch(en);
  expect(e.messageJa).not.toBe(e.message);
  expect(e.messageJa).toMatch(/[ぁ-んァ-ヶ一-龠]/);
}

const f32 = (v: number[]): Tensor => torch.tensor(v);
const i32 = (v: number[]): Tensor => torch.tensor(v, { dtype: torch.int32 });
const b = (v: boolean[]): Tensor => torch.tensor(v);

describe("the two misleading deviations", () => {
  it("torch.full infers its dtype from the fill value, as PyTorch does", () => {
    expect(torch.full([2], 3).dtype).toBe("int32");
    expect(torch.full([2], 3).tolist()).toEqual([3, 3]);
    expect(torch.full([2], 3.5).dtype).toBe("float32");
    expect(torch.full([2], true).dtype).toBe("bool");
    expect(torch.full([2], -Infinity).dtype).toBe("float32");
    expect(torch.full([2], 3, { dtype: torch.float32 }).dtype).toBe("float32");
    // Integral beyond int32: only a float can hold it (js-numbers in deviations.json).
    expect(torch.full([1], 1e10).dtype).toBe("float32");
    expect(torch.full([1], -1e20).tolist()).toEqual([Math.fround(-1e20)]);
  });

  it("logSoftmax keeps precision for |x| >= 1e12: a fully masked row gives -log n", () => {
    for (const fill of [-1e20, -3.4028234663852886e38, -1e12, 1e12, 3e20]) {
      for (const n of [2, 3, 4, 7]) {
        const x = torch.full([2, n], fill, { dtype: torch.float32 });
        for (const d of [-1, 0]) {
          const len = d === -1 ? n : 2;
          const got = F.logSoftmax(x, d).data();
          for (const v of got) expect(v).toBeCloseTo(-Math.log(len), 6);
        }
      }
    }
    // A partly masked row: the unmasked entries are exact, the masked ones about fill - max.
    const row = F.logSoftmax(torch.tensor([[-1e20, 0, 0]]), -1).tolist() as number[][];
    expect(row[0]![1]).toBeCloseTo(-Math.log(2), 6);
    expect(row[0]![0]).toBeCloseTo(Math.fround(-1e20), -14);
  });
});

describe("rejected as PyTorch 1.13 rejects it", () => {
  it("subtraction with a bool tensor, pow of two bools", () => {
    expectRejected(() => b([true, false]).sub(b([true, true])), /Subtraction, the `-` operator, with two bool tensors/);
    expectRejected(() => b([true, false]).sub(1), /Subtraction, the `-` operator, with a bool tensor is not supported/);
    expectRejected(() => f32([1, 2]).sub(b([true, false])), /with a bool tensor is not supported/);
    expectRejected(() => f32([1, 2]).sub(true), /with a bool tensor is not supported/);
    expectRejected(() => b([true]).pow(b([true])), /"pow" not implemented for 'Bool'/);
    // What PyTorch accepts stays: bool + bool is bool, bool * 2 is an int, bool ** 2 too.
    expect(b([true, false]).add(b([true, false])).dtype).toBe("bool");
    expect(b([true, false]).mul(2).dtype).toBe("int32");
    expect(b([true, false]).pow(2).tolist()).toEqual([1, 0]);
  });

  it("relu / abs / argmax / argmin / softmax on bool tensors; gelu and softmax on ints", () => {
    const mask = b([true, false]);
    expectRejected(() => mask.relu(), /Boolean inputs not supported for relu/);
    expectRejected(() => F.relu(mask), /Boolean inputs not supported for relu/);
    expectRejected(() => mask.abs(), /"abs" not implemented for 'Bool'/);
    expectRejected(() => mask.argmax(), /"argmax_cpu" not implemented for 'Bool'/);
    expectRejected(() => torch.argmin(mask, 0), /"argmin_cpu" not implemented for 'Bool'/);
    expectRejected(() => mask.softmax(0), /"softmax" not implemented for 'Bool'/);
    expectRejected(() => F.logSoftmax(mask, 0), /"log_softmax" not implemented for 'Bool'/);
    expectRejected(() => F.gelu(i32([1, 2])), /"GeluKernelImpl" not implemented for 'Int'/);
    expectRejected(() => F.gelu(mask), /"GeluKernelImpl" not implemented for 'Bool'/);
    expectRejected(() => torch.softmax(i32([1, 2]), 0), /"softmax" not implemented for 'Int'/);
    // PyTorch accepts relu/abs of ints and never calls a kernel along a dim of size 1.
    expect(F.relu(i32([-1, 2])).tolist()).toEqual([0, 2]);
    expect(torch.tensor([[true], [false]]).argmax(1).tolist()).toEqual([0, 0]);
  });

  it("matmul and F.linear between int, float and bool tensors: no silent promotion", () => {
    expectRejected(() => torch.matmul(f32([1, 2]), i32([1, 2])), /expected scalar type Float but found Int/);
    expectRejected(() => torch.matmul(i32([1, 2]), f32([1, 2])), /expected scalar type Int but found Float/);
    expectRejected(() => torch.zeros(2, 2).matmul(torch.ones(2, 2, { dtype: "bool" })), /not implemented for bool tensors/);
    expectRejected(() => torch.bmm(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2, { dtype: "int32" })), /expected scalar type Float but found Int/);
    expectRejected(() => F.linear(torch.zeros(2, 3), torch.zeros(4, 3, { dtype: "int32" })), /expected scalar type Float but found Int/);
    expectRejected(() => F.linear(torch.zeros(2, 3, { dtype: "bool" }), torch.zeros(4, 3)), /not implemented for bool tensors/);
    expectRejected(() => F.linear(torch.zeros(2, 3), torch.zeros(4, 3), torch.zeros(4, { dtype: "int32" })), /self and mat2 must have the same dtype/);
    expect(torch.matmul(i32([1, 2]), i32([3, 4])).item()).toBe(11);
  });

  it("indexSelect with a negative index is out of range (no wrapping)", () => {
    const x = torch.arange(6).view(3, 2);
    expectRejected(() => x.indexSelect(0, i32([-1])), /index out of range in self: index -1/);
    expectRejected(() => torch.indexSelect(x, 1, i32([0, -2])), /index out of range in self: index -2/);
    expect(x.indexSelect(0, i32([2, 0])).tolist()).toEqual([[4, 5], [0, 1]]);
  });

  it("maskedFill / fill_ / full with a value the dtype cannot hold", () => {
    const m = b([true, false]);
    expectRejected(() => i32([1, 2]).maskedFill(m, Infinity), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => i32([1, 2]).maskedFill(m, -Infinity), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => i32([1, 2]).maskedFill(m, 3e38), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => i32([1, 2]).maskedFill(m, NaN), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => i32([1, 2]).maskedFill(m, 3e9), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => f32([1, 2]).maskedFill(m, 1e39), /value cannot be converted to type float without overflow/);
    expectRejected(() => i32([1, 2]).fill_(Infinity), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => torch.full([2], Infinity, { dtype: torch.int32 }), /value cannot be converted to type int32 without overflow/);
    expectRejected(() => torch.fullLike(i32([1]), NaN), /value cannot be converted to type int32 without overflow/);
    // What PyTorch stores: -1e9 in an int tensor, -inf and float32's minimum in a float one.
    expect(i32([1, 2]).maskedFill(m, -1e9).tolist()).toEqual([-1e9, 2]);
    expect(i32([1, 2]).maskedFill(m, 2.7).tolist()).toEqual([2, 2]);
    expect(f32([1, 2]).maskedFill(m, -Infinity).tolist()).toEqual([-Infinity, 2]);
    expect(f32([1, 2]).maskedFill(m, -3.4028234663852886e38).get(0)).toBe(-3.4028234663852886e38);
  });

  it("clamp: tensor bounds are accepted, a tensor bound of 1+ dims beside a number bound is not", () => {
    const x = f32([-2, 0.5, 3]);
    expect(x.clamp(f32([0, 0, 0]), f32([1, 1, 1])).tolist()).toEqual([0, 0.5, 1]);
    expect(x.clamp(f32([-1, 1, 0])).tolist()).toEqual([-1, 1, 3]);
    expect(x.clamp(torch.tensor(0), 2).tolist()).toEqual([0, 0.5, 2]);
    expectRejected(() => x.clamp(f32([0, 0, 0]), 2), /clamp\(\) received an invalid combination of arguments/);
    expectRejected(() => torch.clamp(x, 0, f32([1, 1, 1])), /'min' and 'max' must both be tensors or both numbers/);
  });

  it("torch.ones() / zeros() / empty() / rand() with no size", () => {
    expectRejected(() => torch.ones(), /ones\(\) missing the size/);
    expectRejected(() => torch.zeros({ dtype: torch.int32 }), /zeros\(\) missing the size/);
    expectRejected(() => torch.empty(), /empty\(\) missing the size/);
    expectRejected(() => torch.randn(), /randn\(\) missing the size/);
    expect(torch.ones([]).shape).toEqual([]);
  });

  it("F.pad: with a positive pad every padded dim stays > 0; only-negative pads may narrow to 0", () => {
    expectRejected(() => F.pad(torch.zeros(1, 3, 1), [0, -1, 1, 0]), /resulted in a negative output size/);
    expect(F.pad(torch.zeros(2, 2), [-1, -1]).shape).toEqual([2, 0]);
  });

  it("arange with an integral dtype converts start, end and step first", () => {
    expectRejected(() => torch.arange(2, 8, 0.5, { dtype: torch.int32 }), /step must be nonzero/);
    expect(torch.arange(2, 8, 1.5, { dtype: torch.int32 }).tolist()).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe("accepted as PyTorch accepts it", () => {
  it("F.linear with a 1-D weight is a product over the last dim", () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    const w = torch.tensor([10, 1]);
    expect(F.linear(x, w).tolist()).toEqual([12, 34]);
    expect(F.linear(torch.tensor([1, 2]), w).item()).toBe(12);
    expectRejected(() => F.linear(x, w, torch.tensor([1])), /cannot take a bias/);
  });

  it("dtype conversions keep the layout as PyTorch's .to() does", () => {
    const t = torch.zeros(3, 4).transpose(0, 1);
    expect(t.int().isContiguous()).toBe(false); // dense: the strides are kept
    const e = torch.zeros(4).expand(2, 4);
    expect(e.int().isContiguous()).toBe(true); // overlapping: a contiguous copy
    expect(e.float().isContiguous()).toBe(false); // same dtype: PyTorch returns the tensor itself
    expect(t.tril().isContiguous()).toBe(true);
  });
});
