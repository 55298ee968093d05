import { describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { nn } from "./nn.ts";
import { Tensor, fromParts, tensorParts } from "./tensor.ts";
import { KitError, KitMemoryError } from "./errors.ts";
import { alloc } from "./dtype.ts";
import { Generator } from "./random.ts";
import { messageOf } from "./test-helpers.ts";

describe("Tensor encapsulation", () => {
  it("cannot be constructed directly and exposes no own properties", () => {
    expect(() => Reflect.construct(Tensor, [])).toThrow(KitError);
    expect(() => Reflect.construct(Tensor, [Symbol("tfm-kit-tensor"), "float32", [1], new Float32Array(1), null])).toThrow(
      /cannot be constructed with `new`/,
    );
    const x = torch.ones(2, 2);
    expect(Object.keys(x)).toEqual([]);
    expect(Object.getOwnPropertyNames(x)).toEqual([]);
    expect(JSON.stringify(x)).toBe("{}");
    expect(x).toBeInstanceOf(Tensor);
  });
});

describe("tensorParts / fromParts", () => {
  it("round-trips and takes ownership of the data", () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = fromParts("float32", [2, 3], data);
    expect(t.shape).toEqual([2, 3]);
    expect(t.isContiguous()).toBe(true);
    const parts = tensorParts(t);
    expect(parts).not.toBeNull();
    expect(parts!.dtype).toBe("float32");
    expect(parts!.shape).toEqual([2, 3]);
    expect(parts!.data).toBe(data);
    parts!.shape[0] = 99;
    expect(t.shape).toEqual([2, 3]);
    expect(tensorParts(fromParts("int32", [3], new Int32Array([1, 2, 3])))!.dtype).toBe("int32");
    expect(tensorParts(fromParts("bool", [], new Uint8Array([1])))!.shape).toEqual([]);
  });

  it("returns null for anything that is not a kit tensor", () => {
    const t = torch.zeros(2);
    for (const v of [null, undefined, 1, "x", Symbol("s"), {}, [], new Float32Array(2), new Proxy(t, {}), Object.create(t) as unknown]) {
      expect(tensorParts(v)).toBeNull();
    }
    const fake = { dtype: "float32", shape: [2], data: new Float32Array(2) };
    expect(tensorParts(fake)).toBeNull();
  });

  it("validates its inputs", () => {
    expect(() => fromParts("float64" as "float32", [1], new Float32Array(1))).toThrow(/invalid dtype/);
    expect(() => fromParts("float32", [2], new Int32Array(2) as unknown as Float32Array)).toThrow(/must be a Float32Array/);
    expect(() => fromParts("float32", [3], new Float32Array(2))).toThrow(/data has 2 elements but the shape needs 3/);
    expect(() => fromParts("float32", [-1], new Float32Array(0))).toThrow(/non-negative integers/);
    expect(() => fromParts("float32", "2" as unknown as number[], new Float32Array(2))).toThrow(/shape must be an array/);
    expect(() => fromParts("bool", [2], [1, 0] as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
  });

  it("are not affected by tampered prototypes", () => {
    const t = torch.arange(6).reshape(2, 3);
    const shape = [3];
    const data = new Float32Array([7, 8, 9]);
    const wrong = new Int32Array(3);
    const ta = Object.getPrototypeOf(Int8Array.prototype) as object;
    const saved = {
      slice: Array.prototype.slice,
      push: Array.prototype.push,
      isArray: Array.isArray,
      isInteger: Number.isInteger,
      tag: Object.getOwnPropertyDescriptor(ta, Symbol.toStringTag)!,
      length: Object.getOwnPropertyDescriptor(ta, "length")!,
      reflectDefine: Reflect.defineProperty,
    };
    let parts: ReturnType<typeof tensorParts> = null;
    let rebuilt: Tensor | null = null;
    let wrongKind: unknown = null;
    const boom = (): never => {
      throw new Error("tampered");
    };
    try {
      Array.prototype.slice = boom;
      Array.prototype.push = boom;
      Array.isArray = (_x: unknown): _x is unknown[] => false;
      Number.isInteger = () => false;
      Object.defineProperty(Array.prototype, "0", { set: boom, get: boom, configurable: true });
      Object.defineProperty(ta, Symbol.toStringTag, { get: () => "Float32Array", configurable: true });
      Object.defineProperty(ta, "length", { get: () => 0, configurable: true });
      Reflect.defineProperty = boom;
      // Last: from here on, descriptor literals inherit a bogus `get`.
      Object.defineProperty(Object.prototype, "get", { value: boom, configurable: true, writable: true });
      parts = tensorParts(t);
      rebuilt = fromParts("float32", shape, data);
      try {
        fromParts("float32", shape, wrong as unknown as Float32Array);
      } catch (e) {
        wrongKind = e;
      }
    } finally {
      delete (Object.prototype as Record<string, unknown>)["get"];
      Array.prototype.slice = saved.slice;
      Array.prototype.push = saved.push;
      Array.isArray = saved.isArray;
      Number.isInteger = saved.isInteger;
      delete (Array.prototype as unknown as Record<string, unknown>)["0"];
      Object.defineProperty(ta, Symbol.toStringTag, saved.tag);
      Object.defineProperty(ta, "length", saved.length);
      Reflect.defineProperty = saved.reflectDefine;
    }
    expect(parts!.dtype).toBe("int32");
    expect(parts!.shape).toEqual([2, 3]);
    expect(Array.from(parts!.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rebuilt!.shape).toEqual([3]);
    expect(rebuilt!.tolist()).toEqual([7, 8, 9]);
    expect(wrongKind).toBeInstanceOf(KitError);
  });
});

describe("withholdable public entry points", () => {
  const F_ENTRIES = ["softmax", "logSoftmax", "linear", "layerNorm", "dropout", "embedding", "relu", "gelu", "pad"] as const;
  const TORCH_ENTRIES = ["softmax", "logSoftmax", "matmul", "transpose", "maskedFill", "where", "exp", "sum", "max", "tril"] as const;
  const INIT_ENTRIES = Object.keys(nn.init) as (keyof typeof nn.init)[];

  /** A small transformer block that uses the kit only through module forwards and tensor ops. */
  function block(): number[] {
    const g = new Generator(1);
    const emb = new nn.Embedding(10, 8, { generator: g, paddingIdx: 0 });
    const q = new nn.Linear(8, 8, { generator: g });
    const k = new nn.Linear(8, 8, { generator: g });
    const v = new nn.Linear(8, 8, { generator: g, bias: false });
    const ln = new nn.LayerNorm(8);
    const drop = new nn.Dropout(0.1, { generator: g });
    const x = emb.forward(torch.tensor([[1, 2, 3, 0]], { dtype: "int32" }));
    const Q = q.forward(x);
    const K = k.forward(x);
    const V = v.forward(x);
    const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(8));
    const e = scores.sub(scores.amax(-1, true)).exp();
    const w = e.div(e.sum(-1, true));
    return Array.from(drop.forward(ln.forward(torch.matmul(w, V).add(x))).data());
  }

  it("every module and op still works when they are replaced by throwing stubs", () => {
    const expected = block();
    const fSaved = { ...F };
    const tSaved = { ...torch } as Record<string, unknown>;
    const iSaved = { ...nn.init };
    const protoSaved: Record<string, PropertyDescriptor> = {};
    const stub = (): never => {
      throw new KitError("withheld", "withheld");
    };
    try {
      for (const k of F_ENTRIES) (F as Record<string, unknown>)[k] = stub;
      for (const k of TORCH_ENTRIES) (torch as Record<string, unknown>)[k] = stub;
      for (const k of INIT_ENTRIES) (nn.init as Record<string, unknown>)[k] = stub;
      for (const k of ["softmax", "logSoftmax", "masked_fill", "maskedFill"]) {
        protoSaved[k] = Object.getOwnPropertyDescriptor(Tensor.prototype, k)!;
        Object.defineProperty(Tensor.prototype, k, { value: stub, configurable: true, writable: true });
      }
      expect(() => F.softmax(torch.zeros(2), 0)).toThrow(/withheld/);
      expect(() => torch.zeros(2).softmax(0)).toThrow(/withheld/);
      expect(() => nn.init.xavierUniform_(torch.zeros(2, 2))).toThrow(/withheld/);
      // torch.matmul is stubbed above, so the block must not depend on it either: use the method.
      const viaMethods = (): number[] => {
        const saveMatmul = torch.matmul;
        (torch as Record<string, unknown>)["matmul"] = (a: Tensor, b: Tensor) => a.matmul(b);
        try {
          return block();
        } finally {
          (torch as Record<string, unknown>)["matmul"] = saveMatmul;
        }
      };
      expect(viaMethods()).toEqual(expected);
    } finally {
      Object.assign(F, fSaved);
      for (const k of TORCH_ENTRIES) (torch as Record<string, unknown>)[k] = tSaved[k];
      Object.assign(nn.init, iSaved);
      for (const [k, d] of Object.entries(protoSaved)) Object.defineProperty(Tensor.prototype, k, d);
    }
    expect(block()).toEqual(expected);
  });

  it("no kit internal calls a Tensor.prototype method or getter", () => {
    const expectedBlock = (() => {
      const g = new Generator(2);
      const lin = new nn.Linear(6, 4, { generator: g });
      const x = torch.randn(2, 3, 6, { generator: g });
      return { x, lin };
    })();
    const saved: [string, PropertyDescriptor][] = [];
    const stub = (): never => {
      throw new Error("prototype method called");
    };
    let results: Tensor[] = [];
    try {
      for (const k of Object.getOwnPropertyNames(Tensor.prototype)) {
        if (k === "constructor") continue;
        const d = Object.getOwnPropertyDescriptor(Tensor.prototype, k)!;
        saved.push([k, d]);
        if (d.get) Object.defineProperty(Tensor.prototype, k, { get: stub, configurable: true });
        else Object.defineProperty(Tensor.prototype, k, { value: stub, configurable: true, writable: true });
      }
      const { x, lin } = expectedBlock;
      const g = new Generator(3);
      const s = torch.matmul(x, torch.transpose(x, -2, -1));
      results = [
        lin.forward(x),
        torch.softmax(torch.maskedFill(s, torch.eq(torch.tril(torch.ones(3, 3)), 0), -1e9), -1),
        F.layerNorm(x, [6]),
        F.dropout(x, 0.5, true, g),
        F.embedding(torch.tensor([1, 0], { dtype: "int32" }), lin.weight),
        torch.cat([x, x], 1),
        torch.stack([x, x]),
        torch.where(torch.gt(x, 0), x, 0),
        torch.var(x, -1),
        torch.max(x, 1).values,
        F.pad(x, [1, 1]),
        torch.sliceScatter(x, torch.zeros(2, 1, 6), 1, 0, 1),
        new nn.LayerNorm(6).forward(x),
        torch.randn(3, { generator: g }),
        torch.reshape(torch.permute(x, 2, 0, 1), -1),
      ];
      expect(torch.allclose(x, x)).toBe(true);
      nn.init.kaimingNormal_(torch.empty(3, 3), { generator: g });
      new nn.Embedding(4, 2).loadStateDict(new nn.Embedding(4, 2).stateDict());
    } finally {
      for (const [k, d] of saved) Object.defineProperty(Tensor.prototype, k, d);
    }
    expect(results.every((r) => r.isfinite().all().item() === 1)).toBe(true);
  });
});

describe("memory errors", () => {
  it("a failed allocation becomes KitMemoryError naming shape, dtype and bytes", () => {
    const e = (() => {
      try {
        torch.zeros(1024, 1024, 1024, 1024);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(KitMemoryError);
    expect(e).toBeInstanceOf(KitError);
    const m = e as KitMemoryError;
    expect(m.name).toBe("KitMemoryError");
    expect(m.shape).toEqual([1024, 1024, 1024, 1024]);
    expect(m.dtype).toBe("float32");
    expect(m.bytes).toBe(4 * 1024 ** 4);
    expect(m.message).toContain("[1024, 1024, 1024, 1024]");
    expect(m.message).toContain("float32");
    expect(m.message).toContain(String(4 * 1024 ** 4));
    expect(m.messageJa).toContain("メモリ不足");
    expect(m.messageJa).toContain("[1024, 1024, 1024, 1024]");
    expect(() => alloc("int32", 2 ** 40, [2 ** 40])).toThrow(KitMemoryError);
    expect(messageOf(() => alloc("bool", 2 ** 40, [2 ** 40])).message).toMatch(/bool tensor of shape \[1099511627776\] \(1099511627776 bytes\)/);
  });

  it("KitError carries English and Japanese messages", () => {
    const e = new KitError("english", "日本語");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("KitError");
    expect(e.message).toBe("english");
    expect(e.messageJa).toBe("日本語");
  });
});

describe("errors under a frozen Error.prototype", () => {
  it("constructing KitError never assigns to inherited read-only properties", () => {
    const saved = Object.getOwnPropertyDescriptor(Error.prototype, "name")!;
    // Emulate a frozen intrinsic: make Error.prototype.name read-only while constructing errors.
    Object.defineProperty(Error.prototype, "name", { ...saved, writable: false });
    let out = "";
    try {
      const e = new KitError("a", "b");
      const m = new KitMemoryError([2], "float32", 8);
      out = `${e.name}/${m.name}/${e.messageJa}/${m.bytes}`;
    } finally {
      Object.defineProperty(Error.prototype, "name", saved);
    }
    expect(out).toBe("KitError/KitMemoryError/b/8");
  });
});
