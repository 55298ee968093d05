/**
 * nn: Module base class and the Linear, Embedding, LayerNorm and Dropout modules.
 * Modules call the internal kernels, never the withholdable public entries (F.*, nn.init.*).
 */
import { alloc } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { checkShape, sameShape, shapeNumel } from "./shape-utils.ts";
import type { Tensor } from "./tensor.ts";
import { dataOf, describe, isTensor, makeTensor, shapeOf } from "./tensor.ts";
import { copyInto } from "./ops-elementwise.ts";
import { linear as linearImpl } from "./matmul.ts";
import { dropout as dropoutImpl, embedding as embeddingImpl, layerNorm as layerNormImpl } from "./kernels-nn.ts";
import type { Generator } from "./random.ts";
import { normalFill, uniformFill } from "./random.ts";
import { init, kaimingUniformInit } from "./init.ts";

function emptyFloat(shape: number[]): Tensor {
  const s = checkShape(shape, "Parameter");
  return makeTensor("float32", s, alloc("float32", shapeNumel(s), s));
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of all modules. Parameters and sub-modules are discovered by walking the
 * instance's own fields in insertion order: Tensor fields are parameters, Module fields are
 * sub-modules, arrays of either are walked with their index ("layers.0.weight").
 */
export class Module {
  training = true;

  /** Subclasses implement forward. */
  forward(..._args: unknown[]): unknown {
    throw new KitError(
      `Module [${this.constructor.name}] is missing the required "forward" function`,
      `モジュール [${this.constructor.name}] に必須の "forward" 関数がありません`,
    );
  }

  /** Sets training mode on this module and all sub-modules. */
  train(mode = true): this {
    for (const m of walkModules(this)) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** [name, module] for direct sub-modules. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    walkFields(this, "", (name, v) => {
      if (v instanceof Module) out.push([name, v]);
    }, false);
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** [name, tensor] for every parameter, names joined by "." (shared tensors listed once). */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [name, t] of collectTensors(this)) {
      if (seen.has(t)) continue;
      seen.add(t);
      out.push([name, t]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map((e) => e[1]);
  }

  /** name -> tensor (the live parameter tensors, like PyTorch). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of collectTensors(this)) out[name] = t;
    return out;
  }

  /**
   * Copies values from `stateDict` into the parameters (in place). With strict=true, missing or
   * unexpected keys are errors; a shape mismatch is always an error. Nothing is copied when
   * an error is raised.
   */
  loadStateDict(stateDict: Record<string, Tensor> | Map<string, Tensor>, strict = true): LoadResult {
    const entries = new Map<string, unknown>();
    if (stateDict instanceof Map) for (const [k, v] of stateDict) entries.set(k, v);
    else if (typeof stateDict === "object" && stateDict !== null) for (const k of Object.keys(stateDict)) entries.set(k, stateDict[k]);
    else {
      throw new KitError(`loadStateDict: expected an object of tensors, got ${describe(stateDict)}`, `loadStateDict: テンソルのオブジェクトが必要です（${describe(stateDict)}）`);
    }
    const own = collectTensors(this);
    const ownNames = new Set(own.map((e) => e[0]));
    const missing: string[] = [];
    const unexpected: string[] = [];
    const errors: string[] = [];
    const errorsJa: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    for (const [name, param] of own) {
      if (!entries.has(name)) {
        missing.push(name);
        continue;
      }
      const src = entries.get(name);
      if (!isTensor(src)) {
        errors.push(`While copying the parameter named "${name}", expected a Tensor but got ${describe(src)}.`);
        errorsJa.push(`パラメータ "${name}" のコピー中: Tensor が必要ですが ${describe(src)} でした。`);
        continue;
      }
      if (!sameShape(shapeOf(src), shapeOf(param))) {
        errors.push(
          `size mismatch for ${name}: copying a param with shape ${fmtShape(shapeOf(src))} from checkpoint, the shape in current model is ${fmtShape(shapeOf(param))}.`,
        );
        errorsJa.push(`${name} のサイズ不一致: チェックポイントの形状は ${fmtShape(shapeOf(src))}、現在のモデルの形状は ${fmtShape(shapeOf(param))} です。`);
        continue;
      }
      copies.push([param, src]);
    }
    for (const k of entries.keys()) if (!ownNames.has(k)) unexpected.push(k);
    if (strict) {
      const q = (xs: string[]): string => xs.map((x) => `"${x}"`).join(", ");
      if (unexpected.length > 0) {
        errors.unshift(`Unexpected key(s) in state_dict: ${q(unexpected)}.`);
        errorsJa.unshift(`state_dict に予期しないキーがあります: ${q(unexpected)}。`);
      }
      if (missing.length > 0) {
        errors.unshift(`Missing key(s) in state_dict: ${q(missing)}.`);
        errorsJa.unshift(`state_dict にキーが足りません: ${q(missing)}。`);
      }
    }
    if (errors.length > 0) {
      const name = this.constructor.name;
      throw new KitError(
        `Error(s) in loading state_dict for ${name}:\n\t${errors.join("\n\t")}`,
        `${name} の state_dict の読み込みでエラーが発生しました:\n\t${errorsJa.join("\n\t")}`,
      );
    }
    for (const [param, src] of copies) copyInto(param, src);
    return { missingKeys: missing, unexpectedKeys: unexpected };
  }
}

function walkFields(
  m: Module, prefix: string, visit: (name: string, v: Tensor | Module) => void, deep: boolean, seen = new Set<Module>(),
): void {
  seen.add(m);
  const rec = m as unknown as Record<string, unknown>;
  const visitValue = (name: string, v: unknown): void => {
    if (isTensor(v)) visit(name, v);
    else if (v instanceof Module) {
      if (seen.has(v)) return;
      visit(name, v);
      if (deep) walkFields(v, name + ".", visit, deep, seen);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visitValue(`${name}.${i}`, v[i]);
    }
  };
  for (const key of Object.keys(rec)) visitValue(prefix + key, rec[key]);
}

function collectTensors(m: Module): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  walkFields(m, "", (name, v) => {
    if (isTensor(v)) out.push([name, v]);
  }, true);
  return out;
}

function walkModules(m: Module): Module[] {
  const out: Module[] = [m];
  walkFields(m, "", (_name, v) => {
    if (v instanceof Module) out.push(v);
  }, true);
  return out;
}

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
}

/** y = x Wᵀ + b, weight [out, in] ~ U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's default init). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = emptyFloat([outFeatures, inFeatures]);
    kaimingUniformInit(this.weight, Math.sqrt(5), "fan_in", "leaky_relu", options.generator);
    if (options.bias === false) {
      this.bias = null;
    } else {
      this.bias = emptyFloat([outFeatures]);
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      uniformFill(this.bias, -bound, bound, options.generator);
    }
  }
  override forward(x: Tensor): Tensor {
    return linearImpl(x, this.weight, this.bias);
  }
}

export interface EmbeddingOptions {
  paddingIdx?: number;
  generator?: Generator;
}

/** Lookup table [num, dim] ~ N(0, 1); the paddingIdx row is zero. */
export class Embedding extends Module {
  weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = emptyFloat([numEmbeddings, embeddingDim]);
    normalFill(this.weight, 0, 1, options.generator);
    let p = options.paddingIdx ?? null;
    if (p !== null) {
      if (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings) {
        throw new KitError(`Padding_idx must be within num_embeddings (got ${p}, num_embeddings ${numEmbeddings})`, `padding_idx は num_embeddings の範囲内でなければなりません（${p}、num_embeddings ${numEmbeddings}）`);
      }
      if (p < 0) p += numEmbeddings;
      dataOf(this.weight).fill(0, p * embeddingDim, (p + 1) * embeddingDim);
    }
    this.paddingIdx = p;
  }
  override forward(ids: Tensor): Tensor {
    return embeddingImpl(ids, this.weight, this.paddingIdx);
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

/** Layer normalization over the trailing dims; weight = 1, bias = 0 initially. */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
    this.eps = options.eps ?? 1e-5;
    if (options.elementwiseAffine === false) {
      this.weight = null;
      this.bias = null;
    } else {
      this.weight = emptyFloat(this.normalizedShape.slice());
      dataOf(this.weight).fill(1);
      this.bias = options.bias === false ? null : emptyFloat(this.normalizedShape.slice());
    }
  }
  override forward(x: Tensor): Tensor {
    return layerNormImpl(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

export interface DropoutOptions {
  generator?: Generator;
}

/** Inverted dropout in training mode, identity (a copy) in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;
  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new KitError(`dropout probability has to be between 0 and 1, but got ${String(p)}`, `dropout の確率は 0 から 1 の間でなければなりません（${String(p)}）`);
    }
    this.p = p;
    this.generator = options.generator;
  }
  override forward(x: Tensor): Tensor {
    return dropoutImpl(x, this.p, this.training, this.generator);
  }
}

/** The public `nn` object. */
export const nn = { Module, Linear, Embedding, LayerNorm, Dropout, init };

type ModuleT = Module;
type LinearT = Linear;
type EmbeddingT = Embedding;
type LayerNormT = LayerNorm;
type DropoutT = Dropout;
/** Type names so that `nn.Linear` etc. can be used in type positions too. */
export declare namespace nn {
  type Module = ModuleT;
  type Linear = LinearT;
  type Embedding = EmbeddingT;
  type LayerNorm = LayerNormT;
  type Dropout = DropoutT;
}
