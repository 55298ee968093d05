"""The kit-against-PyTorch differential suite, PyTorch's side.

oracle/differential/cases.ts generates seeded cases over every op family of the kit's README;
oracle/differential/export.ts writes them to oracle/cases/differential.json. Here each case is
run by PyTorch (CPU, float32 as a student's code would run it): its value (tensors with dtype,
shape, contiguity and data) or its rejection is the expectation, committed as
oracle/differential/expected.json. packages/kit/src/differential.test.ts runs the kit on the same
cases and compares; `--check` recomputes the committed expectations with this PyTorch.

The kit's deliberate deviations (packages/kit/src/deviations.json) that a case names in
`deviation` are applied here, explicitly, where PyTorch's own call would differ:
  int32-long               the kit's integer dtype int32 stands for torch.long: int64 results are
                           int32, and a value an int32 cannot hold is refused as PyTorch refuses it
                           for an int32 tensor
  js-numbers               a JSON integer beyond int32 is a float here (JS has one number type)
  tensor-default-float32   torch.tensor of plain numbers is float32 in the kit
  number-as-tensor         maximum/minimum/logicalAnd/logicalOr accept a number (a 0-d tensor)
  mask-must-be-bool        masked_fill wants a bool mask (Debian's 1.13 build silently misreads others)
  bool-values-as-numbers   item/tolist/get of a bool tensor give 1/0
  random-generator         the kit draws from its own generator: random values are not compared
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from .wire import _shortest32

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases", "differential.json")
EXPECTED = os.path.join(HERE, "differential", "expected.json")

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_DTYPES = {"float32": torch.float32, "float": torch.float32, "int32": torch.int64, "int": torch.int64,
           "long": torch.int64, "int64": torch.int64, "bool": torch.bool}
_KIT_NAMES = {torch.float32: "float32", torch.int64: "int32", torch.int32: "int32", torch.bool: "bool"}


class Unsupported(Exception):
    """A result PyTorch gives that the kit has no form for (e.g. float64): a finding, not noise."""


# ------------------------------------------------------------------ wire

def decode(j):
    if isinstance(j, list):
        return [decode(x) for x in j]
    if isinstance(j, dict):
        if "$tensor" in j:
            t = j["$tensor"]
            data = [_NONFINITE[x] if isinstance(x, str) else x for x in t["data"]]
            dt = {"float32": torch.float32, "int32": torch.int64, "bool": torch.bool}[t["dtype"]]
            return torch.tensor(data, dtype=dt).reshape(t["shape"])
        if "$number" in j:
            return _NONFINITE[j["$number"]]
        return {k: decode(v) for k, v in j.items()}
    if isinstance(j, int) and not isinstance(j, bool) and not _INT32_MIN <= j <= _INT32_MAX:
        return float(j)  # js-numbers: 1e10 or -1e20 in a student's JS is a float, as in Python
    return j


_INT32_MIN, _INT32_MAX = -2**31, 2**31 - 1


def _storable(t_dtype, v, fn):
    """int32-long: an int tensor holds int32 values, so it refuses what PyTorch refuses for int32."""
    if t_dtype == torch.int64 and isinstance(v, (int, float)) and not isinstance(v, bool):
        if not (math.isfinite(v) and _INT32_MIN - 1 < v < _INT32_MAX + 1):
            raise RuntimeError(f"{fn}: value cannot be converted to type int without overflow")


def _float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    v = _shortest32(torch.tensor(x, dtype=torch.float32).numpy())
    return 0 if v == 0 else v


def encode(v):
    if isinstance(v, torch.Tensor):
        v = v.detach()
        name = _KIT_NAMES.get(v.dtype)
        if name is None:
            raise Unsupported(f"PyTorch gives a {v.dtype} tensor")
        flat = v.reshape(-1).tolist()
        if name == "float32":
            data = [_float_json(x) for x in flat]
        elif name == "bool":
            data = [1 if x else 0 for x in flat]
        else:
            data = [int(x) for x in flat]
        return {"$tensor": {"dtype": name, "shape": list(v.shape), "data": data}, "contiguous": v.is_contiguous()}
    if isinstance(v, torch.dtype):
        return _KIT_NAMES[v]
    if isinstance(v, (tuple, list, torch.Size)):
        return [encode(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return 0 if v == 0 else v
        return {"$number": "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")}
    raise Unsupported(f"cannot encode {type(v).__name__}")


# ------------------------------------------------------------------ ops

def _opts(args):
    """Splits a trailing option object ({dtype}) off positional arguments."""
    if args and isinstance(args[-1], dict):
        return list(args[:-1]), args[-1]
    return list(args), {}


def _dtype_kw(o):
    d = o.get("dtype")
    return {} if d is None else {"dtype": _DTYPES[d]}


def _dims(d):
    return tuple(d) if isinstance(d, list) else d


def _bool_values(x, v):
    """bool-values-as-numbers: the kit's values of a bool tensor are 1/0."""
    if x.dtype != torch.bool:
        return v
    if isinstance(v, list):
        return [_bool_values(x, e) for e in v]
    return int(v) if isinstance(v, bool) else v


def _slice(x, d, start=None, end=None, step=1):
    nd = x.dim()
    if not -nd <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})")
    idx = [slice(None)] * nd
    idx[d % nd] = slice(start, end, step)
    return x[tuple(idx)]


def _reduce(name):
    def f(x, dim=None, keepdim=False):
        fn = getattr(torch, name)
        return fn(x) if dim is None else fn(x, _dims(dim), keepdim=keepdim)
    return f


def _var(std):
    def f(x, dim=None, opts=None, keepdim=None):
        unbiased = True
        kd = False
        if isinstance(opts, dict):
            unbiased = opts.get("unbiased", True)
            kd = opts.get("keepdim", False)
        elif isinstance(opts, bool):
            unbiased = opts
        if keepdim is not None:
            kd = keepdim
        fn = torch.std if std else torch.var
        if dim is None:
            return fn(x, unbiased=unbiased)
        return fn(x, _dims(dim), unbiased=unbiased, keepdim=kd)
    return f


def _maxmin(name):
    def f(x, arg=None, keepdim=False):
        fn = getattr(torch, name)
        if arg is None:
            return fn(x)
        if isinstance(arg, torch.Tensor):
            return fn(x, arg)
        r = fn(x, arg, keepdim)
        return [r.values, r.indices]
    return f


def _arg(name):
    def f(x, dim=None, keepdim=False):
        fn = getattr(torch, name)
        return fn(x) if dim is None else fn(x, dim, keepdim)
    return f


def _anyall(name):
    def f(x, dim=None, keepdim=False):
        fn = getattr(torch, name)
        return fn(x) if dim is None else fn(x, dim, keepdim)
    return f


def _binary(name, deviation_scalar=False):
    fn = getattr(torch, name)

    def f(a, b):
        if deviation_scalar and not isinstance(b, torch.Tensor):
            b = torch.tensor(b)  # number-as-tensor: a number is read as a 0-d tensor
        return fn(a, b)
    return f


def _clamp(x, lo=None, hi=None):
    return torch.clamp(x, lo, hi)


def _to(x, d):
    return x.to(_DTYPES[d]) if d in _DTYPES else x.to(d)


def _sizes(args):
    """Shape arguments: spread integers or one list, as one list (an empty one is a 0-d shape)."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return list(args)


def _masked_fill(x, m, v):
    if m.dtype != torch.bool:  # mask-must-be-bool
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    _storable(x.dtype, v, "masked_fill")
    return x.masked_fill(m, v)


def _fill(x, v):
    _storable(x.dtype, v, "fill_")
    return x.fill_(v)


METHODS = {
    "shape": lambda x: list(x.shape),
    "ndim": lambda x: x.dim(),
    "dim": lambda x: x.dim(),
    "size": lambda x, *d: list(x.size()) if not d else x.size(d[0]),
    "numel": lambda x: x.numel(),
    "dtype": lambda x: x.dtype,
    "isContiguous": lambda x: x.is_contiguous(),
    "item": lambda x: _bool_values(x, x.item()),
    "tolist": lambda x: _bool_values(x, x.tolist()),
    "get": lambda x, *idx: _bool_values(x, x[tuple(idx)].item()),
    "clone": lambda x: x.clone(),
    "contiguous": lambda x: x.contiguous(),
    "view": lambda x, *s: x.view(_sizes(s)),
    "reshape": lambda x, *s: x.reshape(_sizes(s)),
    "transpose": lambda x, a, b: x.transpose(a, b),
    "permute": lambda x, *d: x.permute(_sizes(d)),
    "unsqueeze": lambda x, d: x.unsqueeze(d),
    "squeeze": lambda x, *d: x.squeeze() if not d or d[0] is None else x.squeeze(d[0]),
    "flatten": lambda x, s=0, e=-1: x.flatten(s, e),
    "expand": lambda x, *s: x.expand(_sizes(s)),
    "repeat": lambda x, *s: x.repeat(_sizes(s)),
    "narrow": lambda x, d, s, n: x.narrow(d, s, n),
    "slice": _slice,
    "select": lambda x, d, i: x.select(d, i),
    "indexSelect": lambda x, d, i: x.index_select(d, i),
    "sliceScatter": lambda x, src, d=0, s=None, e=None, st=1: torch.slice_scatter(x, src, d, s, e, st),
    "tril": lambda x, k=0: x.tril(k),
    "triu": lambda x, k=0: x.triu(k),
    "maskedFill": _masked_fill,
    "masked_fill": _masked_fill,
    "add": _binary("add"), "sub": _binary("sub"), "mul": _binary("mul"), "div": _binary("div"),
    "pow": _binary("pow"), "maximum": _binary("maximum", True), "minimum": _binary("minimum", True),
    "eq": _binary("eq"), "ne": _binary("ne"), "lt": _binary("lt"), "le": _binary("le"), "gt": _binary("gt"),
    "ge": _binary("ge"), "logicalAnd": _binary("logical_and", True), "logicalOr": _binary("logical_or", True),
    "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "logicalNot": torch.logical_not, "isnan": torch.isnan, "isinf": torch.isinf,
    "isfinite": torch.isfinite,
    "clamp": _clamp,
    "sum": _reduce("sum"), "mean": _reduce("mean"), "amax": _reduce("amax"), "amin": _reduce("amin"),
    "max": _maxmin("max"), "min": _maxmin("min"), "argmax": _arg("argmax"), "argmin": _arg("argmin"),
    "var": _var(False), "std": _var(True), "any": _anyall("any"), "all": _anyall("all"),
    "softmax": lambda x, d: torch.softmax(x, d),
    "logSoftmax": lambda x, d: torch.log_softmax(x, d),
    "matmul": torch.matmul,
    "float": lambda x: x.float(),
    "int": lambda x: x.long(),
    "bool": lambda x: x.bool(),
    "to": _to,
    "fill_": _fill,
    "zero_": lambda x: x.zero_(),
    "copy_": lambda x, s: x.copy_(s),
}


def _filled(fn):
    def f(*args):
        pos, o = _opts(args)
        return fn(*pos, **_dtype_kw(o))
    return f


def _full(shape, value, opts=None):
    r = torch.full(shape, value, **_dtype_kw(opts or {}))
    _storable(r.dtype, value, "full")
    return r


def _like(fn):
    def f(x, *rest):
        pos, o = _opts(rest)
        r = fn(x, *pos, **_dtype_kw(o))
        if pos:
            _storable(r.dtype, pos[0], "full_like")
        return r
    return f


def _tensor(data, opts=None):
    kw = _dtype_kw(opts or {})
    if not kw:
        def all_bool(v):
            return all(all_bool(e) for e in v) if isinstance(v, list) else isinstance(v, bool)
        if not (all_bool(data) and data):
            kw = {"dtype": torch.float32}  # tensor-default-float32
    return torch.tensor(data, **kw)


TORCH = {
    "zeros": _filled(torch.zeros), "ones": _filled(torch.ones), "empty": _filled(torch.zeros),
    "full": _full, "tensor": _tensor,
    "zerosLike": _like(torch.zeros_like), "onesLike": _like(torch.ones_like), "fullLike": _like(torch.full_like),
    "arange": _filled(torch.arange), "linspace": _filled(torch.linspace), "eye": _filled(torch.eye),
    "cat": lambda ts, d=0: torch.cat(ts, d), "stack": lambda ts, d=0: torch.stack(ts, d),
    "where": torch.where,
    "allclose": lambda a, b, rtol=1e-5, atol=1e-8: torch.allclose(a, b, rtol, atol),
    "bmm": torch.bmm,
    "rand": lambda *s: torch.rand(_sizes(s)) if s else torch.rand(), "randn": lambda *s: torch.randn(_sizes(s)) if s else torch.randn(),
    "randint": lambda lo, hi, s: torch.randint(lo, hi, s), "randperm": lambda n: torch.randperm(n),
}


def _linear(x, w, b=None):
    r = F.linear(x, w, b)
    if b is not None and b.dtype != r.dtype:
        # linear-bias-dtype: 1.13 takes a bias of another dtype only on some input ranks and layouts
        raise RuntimeError("self and mat2 must have the same dtype")
    return r


def _dropout(x, p=0.5, training=True):
    r = F.dropout(x, p, training)  # PyTorch decides whether the call is valid
    if not training or p == 0:
        return r
    if p == 1:
        return torch.zeros_like(x)
    return x * (1.0 / (1.0 - p))  # the value every kept element must have


FUNCTIONAL = {
    "softmax": lambda x, d: F.softmax(x, d),
    "logSoftmax": lambda x, d: F.log_softmax(x, d),
    "relu": F.relu,
    "gelu": F.gelu,
    "linear": _linear,
    "embedding": lambda ids, w, p=None: F.embedding(ids, w, padding_idx=p),
    "layerNorm": lambda x, ns, w=None, b=None, eps=1e-5: F.layer_norm(x, [ns] if isinstance(ns, int) else ns, w, b, eps),
    "dropout": _dropout,
    "pad": lambda x, pads, value=0: F.pad(x, pads, "constant", value),
}


def _module(name, args):
    with torch.no_grad():
        if name == "Linear":
            in_f, out_f, opts, w, b, x = args
            m = torch.nn.Linear(in_f, out_f, bias=opts.get("bias", True))
            m.weight.copy_(w)
            if b is not None and m.bias is not None:
                m.bias.copy_(b)
            return [m(x), [n for n, _ in m.named_parameters()]]
        if name == "Embedding":
            n, d, opts, w, ids = args
            m = torch.nn.Embedding(n, d, padding_idx=opts.get("paddingIdx"))
            m.weight.copy_(w)
            return [m(ids), [k for k, _ in m.named_parameters()]]
        if name == "LayerNorm":
            d, opts, x = args
            m = torch.nn.LayerNorm(d, eps=opts.get("eps", 1e-5))
            return [m(x), [k for k, _ in m.named_parameters()]]
        if name == "Dropout":
            p, x = args
            m = torch.nn.Dropout(p)
            m.eval()
            return [m(x), [k for k, _ in m.named_parameters()]]
    raise ValueError(f"unknown module nn.{name}")


def _bound_tensor(t, bound):
    return torch.full(t.shape, float(bound), dtype=t.dtype)


def _init(name, args):
    init = torch.nn.init
    if name == "calculateGain":
        return init.calculate_gain(*args)
    t = args[0]
    if name == "xavierUniform_":
        gain = args[1] if len(args) > 1 else 1.0
        init.xavier_uniform_(t, gain)
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        return _bound_tensor(t, gain * math.sqrt(6.0 / (fan_in + fan_out)))
    if name == "kaimingUniform_":
        o = args[1] if len(args) > 1 else {}
        a, mode, nl = o.get("a", 0), o.get("mode", "fan_in"), o.get("nonlinearity", "leaky_relu")
        init.kaiming_uniform_(t, a, mode, nl)
        fan = init._calculate_correct_fan(t, mode)
        return _bound_tensor(t, init.calculate_gain(nl, a) * math.sqrt(3.0 / fan))
    if name == "uniform_":
        lo, hi = args[1], args[2]
        init.uniform_(t, lo, hi)
        return _bound_tensor(t, max(abs(lo), abs(hi)))
    if name == "xavierNormal_":
        return init.xavier_normal_(t, args[1] if len(args) > 1 else 1.0)
    if name == "kaimingNormal_":
        o = args[1] if len(args) > 1 else {}
        return init.kaiming_normal_(t, o.get("a", 0), o.get("mode", "fan_in"), o.get("nonlinearity", "leaky_relu"))
    if name == "normal_":
        return init.normal_(t, *args[1:])
    if name == "zeros_":
        return init.zeros_(t)
    if name == "ones_":
        return init.ones_(t)
    if name == "constant_":
        return init.constant_(t, args[1])
    raise ValueError(f"unknown init.{name}")


def call(op, args):
    ns, name = op.split(".", 1)
    if ns == "x":
        return METHODS[name](*args)
    if ns == "torch":
        if name in TORCH:
            return TORCH[name](*args)
        return METHODS[name](*args)  # function forms take the tensor first, as the methods do
    if ns == "F":
        return FUNCTIONAL[name](*args)
    if ns == "nn":
        return _module(name, args)
    if ns == "init":
        return _init(name, args)
    raise ValueError(f"unknown op {op}")


def run_case(c):
    value = None
    try:
        for i, step in enumerate(c["steps"]):
            args = [decode(a) for a in step["args"]]
            value = call(step["op"], args if i == 0 else [value] + args)
        return {"ok": True, "value": encode(value)}
    except Unsupported:
        raise
    except (RuntimeError, TypeError, IndexError, ValueError, AssertionError) as e:
        return {"ok": False, "error": (str(e).strip().splitlines() or [type(e).__name__])[0][:300]}


# ------------------------------------------------------------------ commands

def _header():
    return {"torch": torch.__version__, "device": "cpu", "dtype": "float32"}


def _load(path, how):
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `{how}` first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _same(e, a):
    """Two PyTorch runs agree: identical JSON, or floats within a few float32 ulps."""
    if isinstance(e, dict) and isinstance(a, dict):
        return e.keys() == a.keys() and all(_same(e[k], a[k]) for k in e)
    if isinstance(e, list) and isinstance(a, list):
        return len(e) == len(a) and all(_same(x, y) for x, y in zip(e, a))
    if isinstance(e, float) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return abs(a - e) <= 1e-7 or abs(a - e) <= 5e-7 * abs(e)
    return e == a


def cmd_differential(args):
    doc = _load(args.cases, "node --import tsx oracle/differential/export.ts")
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    results = []
    for c in doc["cases"]:
        try:
            out = run_case(c)
        except Unsupported as e:
            raise SystemExit(f"{c['id']}: {e}")
        results.append(out)
    if args.check:
        committed = _load(args.expected, "node --import tsx oracle/differential/export.ts && /usr/bin/python3 -m oracle differential")
        problems = []
        if committed.get("sha256") != doc["sha256"]:
            problems.append("the exported cases differ from those the expectations were computed from (sha256): regenerate them")
        else:
            for c, out, exp in zip(doc["cases"], results, committed["cases"]):
                if exp["id"] != c["id"]:
                    problems.append(f"{c['id']}: the committed file has {exp['id']} here")
                    break
                if not _same(exp["expected"], out):
                    problems.append(f"{c['id']}: recomputed {json.dumps(out)[:160]}, committed {json.dumps(exp['expected'])[:160]}")
        rejected = sum(1 for r in results if not r["ok"])
        print(f"differential: recomputed {len(results)} cases with torch {torch.__version__} ({rejected} rejected by PyTorch)")
        if problems:
            print(f"{len(problems)} committed expectations do not reproduce:", file=sys.stderr)
            for p in problems[:20]:
                print(f"  {p}", file=sys.stderr)
            return 1
        print("every committed differential expectation reproduces")
        return 0
    out_doc = {
        "oracle": _header(),
        "command": "node --import tsx oracle/differential/export.ts && /usr/bin/python3 -m oracle differential",
        "seed": doc["seed"],
        "sha256": doc["sha256"],
        "cases": [dict(c, expected=r) for c, r in zip(doc["cases"], results)],
    }
    with open(args.expected, "w", encoding="utf-8") as f:
        json.dump(out_doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    rejected = sum(1 for r in results if not r["ok"])
    print(f"differential: wrote {len(results)} expectations ({rejected} rejected by PyTorch) to {os.path.relpath(args.expected)}")
    return 0


def add_parser(sub):
    d = sub.add_parser("differential", help="the kit-against-PyTorch differential suite (expectations, or --check)")
    d.add_argument("--cases", default=CASES)
    d.add_argument("--expected", default=EXPECTED)
    d.add_argument("--check", action="store_true", help="recompute and compare with the committed expectations")
