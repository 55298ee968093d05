import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT, WEB_DIR } from "./build.ts";

/**
 * The kit reference's API, read from the kit's own types with the TypeScript compiler: every member
 * of torch, F, nn.init, Tensor, the nn modules and Generator, with its signatures and doc comment.
 * Written to apps/web/lib/kit/api.json (committed; test/kit-reference.test.ts checks it is current):
 *   node --import tsx apps/web/scripts/kit-reference.ts
 */
export interface ApiEntry {
  id: string;
  /** How a student writes the owner: torch, F, nn.init, Tensor, nn.Linear ... */
  owner: string;
  name: string;
  group: string;
  kind: "constructor" | "method" | "function" | "property" | "constant";
  signatures: string[];
  /** torch.exp is Tensor.exp called as a function. */
  functionFormOf: string | null;
  /** The doc comment in the kit's source, when it has one (English). */
  sourceDoc: string | null;
}

export const API_FILE = path.join(WEB_DIR, "lib/kit/api.json");
const KIT_INDEX = path.join(ROOT, "packages/kit/src/index.ts");

const TENSOR_GROUPS: Record<string, readonly string[]> = {
  info: ["shape", "dtype", "ndim", "dim", "size", "numel", "isContiguous"],
  values: ["item", "tolist", "get", "data", "toString"],
  shape: ["clone", "contiguous", "view", "reshape", "transpose", "permute", "unsqueeze", "squeeze", "flatten", "expand", "repeat", "narrow", "slice", "select", "indexSelect", "sliceScatter", "tril", "triu", "maskedFill", "masked_fill"],
  elementwise: ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "clamp"],
  compare: ["eq", "ne", "lt", "le", "gt", "ge", "logicalNot", "logicalAnd", "logicalOr", "isnan", "isinf", "isfinite"],
  reductions: ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "any", "all"],
  linalg: ["softmax", "logSoftmax", "matmul"],
  convert: ["float", "int", "bool", "to"],
  inplace: ["fill_", "zero_", "copy_", "uniform_", "normal_"],
};
const TORCH_GROUPS: Record<string, readonly string[]> = {
  dtypes: ["float32", "float", "int32", "long", "bool"],
  random: ["Generator", "defaultGenerator", "manualSeed", "initialSeed", "rand", "randn", "randint", "randperm"],
  creation: ["tensor", "zeros", "ones", "full", "empty", "zerosLike", "onesLike", "fullLike", "arange", "linspace", "eye"],
  linalg: ["cat", "stack", "where", "allclose", "bmm"],
};

function groupOf(table: Record<string, readonly string[]>, name: string): string | null {
  for (const [group, names] of Object.entries(table)) if (names.includes(name)) return group;
  return null;
}

export function readKitApi(): ApiEntry[] {
  const program = ts.createProgram([KIT_INDEX], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(KIT_INDEX);
  const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
  if (file === undefined || moduleSymbol === undefined) throw new Error(`cannot read ${KIT_INDEX}`);
  const exported = (name: string): ts.Symbol => {
    const e = checker.getExportsOfModule(moduleSymbol).find((x) => x.name === name);
    if (e === undefined) throw new Error(`the kit does not export ${name}`);
    return e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
  };
  const doc = (s: ts.Symbol): string | null => {
    const text = ts.displayPartsToString(s.getDocumentationComment(checker)).trim();
    return text === "" ? null : text.replace(/\s+/g, " ");
  };
  const entries: ApiEntry[] = [];

  const members = (type: ts.Type, declaredIn: string | null, each: (p: ts.Symbol, t: ts.Type, sigs: string[]) => void) => {
    for (const p of checker.getPropertiesOfType(type)) {
      if (p.name.startsWith("#") || p.name.startsWith("__")) continue;
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (decl === undefined) continue;
      const modifiers = ts.canHaveModifiers(decl) ? (ts.getModifiers(decl) ?? []) : [];
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
      // Members a module inherits are listed once, under nn.Module.
      if (declaredIn !== null && ts.isClassLike(decl.parent) && decl.parent.name?.text !== declaredIn) continue;
      const t = checker.getTypeOfSymbolAtLocation(p, decl);
      each(p, t, t.getCallSignatures().map((s) => checker.signatureToString(s)));
    }
  };

  const tensorMethods = new Set<string>();
  members(checker.getDeclaredTypeOfSymbol(exported("Tensor")), "Tensor", (p, _t, sigs) => {
    tensorMethods.add(p.name);
    const group = groupOf(TENSOR_GROUPS, p.name);
    if (group === null) throw new Error(`Tensor.${p.name} has no group in apps/web/scripts/kit-reference.ts`);
    entries.push({ id: `Tensor.${p.name}`, owner: "Tensor", name: p.name, group, kind: sigs.length > 0 ? "method" : "property", signatures: sigs.length > 0 ? sigs : [checker.typeToString(checker.getTypeOfSymbol(p))], functionFormOf: null, sourceDoc: doc(p) });
  });

  members(checker.getTypeOfSymbol(exported("torch")), null, (p, t, sigs) => {
    const group = groupOf(TORCH_GROUPS, p.name) ?? (tensorMethods.has(p.name) ? "functionForms" : null);
    if (group === null) throw new Error(`torch.${p.name} has no group in apps/web/scripts/kit-reference.ts`);
    const kind = group === "dtypes" ? "constant" : sigs.length > 0 ? "function" : p.name === "Generator" ? "constructor" : "property";
    entries.push({
      id: `torch.${p.name}`,
      owner: "torch",
      name: p.name,
      group,
      kind,
      signatures: sigs.length > 0 ? sigs : [checker.typeToString(t)],
      functionFormOf: group === "functionForms" ? `Tensor.${p.name}` : null,
      sourceDoc: doc(p),
    });
  });

  members(checker.getTypeOfSymbol(exported("F")), null, (p, _t, sigs) => {
    entries.push({ id: `F.${p.name}`, owner: "F", name: p.name, group: "functional", kind: "function", signatures: sigs, functionFormOf: null, sourceDoc: doc(p) });
  });

  const nnType = checker.getTypeOfSymbol(exported("nn"));
  const init = checker.getPropertyOfType(nnType, "init");
  if (init === undefined) throw new Error("the kit's nn has no init");
  members(checker.getTypeOfSymbol(init), null, (p, _t, sigs) => {
    entries.push({ id: `nn.init.${p.name}`, owner: "nn.init", name: p.name, group: "init", kind: "function", signatures: sigs, functionFormOf: null, sourceDoc: doc(p) });
  });

  for (const cls of ["Module", "Linear", "Embedding", "LayerNorm", "Dropout", "Generator"]) {
    const symbol = exported(cls);
    const owner = cls === "Generator" ? "torch.Generator" : `nn.${cls}`;
    const group = cls === "Generator" ? "random" : "modules";
    const ctor = checker.getTypeOfSymbol(symbol).getConstructSignatures().map((s) => `new ${owner}${checker.signatureToString(s).replace(/:\s*[A-Za-z]+$/, "")}`);
    entries.push({ id: `${cls}.new`, owner, name: "constructor", group, kind: "constructor", signatures: ctor, functionFormOf: null, sourceDoc: doc(symbol) });
    members(checker.getDeclaredTypeOfSymbol(symbol), cls, (p, t, sigs) => {
      entries.push({ id: `${cls}.${p.name}`, owner, name: p.name, group, kind: sigs.length > 0 ? "method" : "property", signatures: sigs.length > 0 ? sigs : [checker.typeToString(t)], functionFormOf: null, sourceDoc: doc(p) });
    });
  }
  return entries;
}

export function renderApiFile(): string {
  return `${JSON.stringify(readKitApi(), null, 1)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const next = renderApiFile();
  const now = (() => {
    try {
      return readFileSync(API_FILE, "utf8");
    } catch {
      return "";
    }
  })();
  if (now === next) console.log(`${path.relative(process.cwd(), API_FILE)} is up to date`);
  else {
    writeFileSync(API_FILE, next);
    console.log(`wrote ${path.relative(process.cwd(), API_FILE)}`);
  }
}
