"""What each exercise must return, computed with PyTorch the way the chapter's PyTorch code does it.

Every function takes the decoded arguments of one case and a Ctx (float dtype, device) and returns
the golden value as wire JSON. `COVERED` maps exercise ids to (function, how it is checked).
The SMILES and formula exercises are read with RDKit (smiles.py, composition.py), the state-dict
driver runs on real nn.Modules (checkpoint.py); the exercises with nothing for PyTorch or RDKit to
compute are listed in `NOT_COVERED` with why.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .kit_rng import kit_rand, kit_randperm
from .wire import Tensor, tensor_json

# The chapter's masked_fill value (scores.masked_fill(mask == 0, -1e9)).
MASK_FILL = -1e9


class Ctx:
    def __init__(self, dtype=torch.float64, device="cpu"):
        self.dtype = dtype
        self.device = torch.device(device)

    def t(self, v):
        if not isinstance(v, Tensor):
            raise TypeError(f"expected a tensor argument, got {type(v).__name__}")
        return v.torch(self.dtype, self.device)

    def opt(self, v):
        return None if v is None else self.t(v)


def out(t):
    return tensor_json(t, "float32")


def field(w, key):
    if not isinstance(w, dict) or key not in w:
        raise ValueError(f"weights object has no {key!r}")
    return w[key]


# ------------------------------------------------------------------ attention (the chapter's code)

def attention(q, k, v, mask=None, scale=True):
    """softmax(Q Kᵀ / sqrt(d_k), masked_fill(mask == 0, -1e9)) V, as the chapter writes it."""
    d_k = q.size(-1)
    scores = torch.matmul(q, k.transpose(-2, -1))
    if scale:
        scores = scores / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, MASK_FILL)
    weights = F.softmax(scores, dim=-1)
    return torch.matmul(weights, v), weights


def simple_attention(a, c):
    o, w = attention(c.t(a[0]), c.t(a[1]), c.t(a[2]), scale=False)
    return [out(o), out(w)]


def scaled_dot_product_attention(a, c):
    o, w = attention(c.t(a[0]), c.t(a[1]), c.t(a[2]), c.opt(a[3]))
    return [out(o), out(w)]


def debug_mask(a, c):
    o, w = attention(c.t(a[0]), c.t(a[1]), c.t(a[2]), c.t(a[3]))
    return [out(o), out(w)]


def chunked_attention(a, c):
    """The chapter's memory fix: queries in chunks of chunk_size, every chunk against all keys."""
    q, k, v = c.t(a[0]), c.t(a[1]), c.t(a[2])
    chunk = a[3]
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunkSize must be a positive integer, got {chunk!r}")
    outputs = []
    for i in range(0, q.size(1), chunk):
        o, _ = attention(q[:, i : i + chunk], k, v)
        outputs.append(o)
    return out(torch.cat(outputs, dim=1))


def attention_masks(a, c):
    lengths, t = a[0], a[1]
    dev = c.device
    causal = torch.tril(torch.ones(t, t, dtype=torch.int64, device=dev))
    positions = torch.arange(t, device=dev)
    lens = torch.tensor(lengths, dtype=torch.int64, device=dev)
    padding = (positions.unsqueeze(0) < lens.unsqueeze(1)).unsqueeze(1)  # (B, 1, T)
    combined = causal.bool().unsqueeze(0) & padding  # (B, T, T)
    return {
        "causal": tensor_json(causal, "int32"),
        "padding": tensor_json(padding.to(torch.int64), "int32"),
        "combined": tensor_json(combined.to(torch.int64), "int32"),
    }


def stable_softmax(a, c):
    return out(F.softmax(c.t(a[0]), dim=a[1]))


# ------------------------------------------------------------------ layers (nn modules, loaded weights)

def linear_module(w_t, b_t, c):
    lin = nn.Linear(w_t.size(1), w_t.size(0), bias=b_t is not None).to(device=c.device, dtype=c.dtype)
    with torch.no_grad():
        lin.weight.copy_(w_t)
        if b_t is not None:
            lin.bias.copy_(b_t)
    return lin


def self_attention(a, c):
    x, w = c.t(a[0]), a[1]
    proj = {n: linear_module(c.t(field(w, f"W{n}")), c.t(field(w, f"b{n}")), c) for n in "qkv"}
    with torch.no_grad():
        o, weights = attention(proj["q"](x), proj["k"](x), proj["v"](x))
    return [out(o), out(weights)]


def mha_module(w, d, h, c):
    """nn.MultiheadAttention with our {Wq, bq, ..., Wo, bo} loaded (in_proj = [Wq; Wk; Wv])."""
    m = nn.MultiheadAttention(d, h, bias=True, batch_first=True).to(device=c.device, dtype=c.dtype)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.cat([c.t(field(w, k)) for k in ("Wq", "Wk", "Wv")], dim=0))
        m.in_proj_bias.copy_(torch.cat([c.t(field(w, k)) for k in ("bq", "bk", "bv")], dim=0))
        m.out_proj.weight.copy_(c.t(field(w, "Wo")))
        m.out_proj.bias.copy_(c.t(field(w, "bo")))
    m.eval()
    return m


def mha_mask(mask, b, h, t):
    """Our mask (1 = may attend, broadcastable to (B, h, T, T)) as nn.MultiheadAttention's boolean
    attn_mask (True = may NOT attend) of shape (B * h, T, T)."""
    if mask is None:
        return None
    return (mask == 0).expand(b, h, t, t).reshape(b * h, t, t)


def no_nan(name, *ts):
    for t in ts:
        if torch.isnan(t).any():
            raise ValueError(f"{name}: NaN in the PyTorch result (a fully masked row?): this case needs the masked_fill convention")


def fully_masked(mask, b, h, t):
    """Whether some query may attend to no key: nn.MultiheadAttention gives NaN there, the chapter's
    masked_fill(-1e9) gives uniform weights."""
    return mask is not None and bool(((mask != 0).expand(b, h, t, t).sum(-1) == 0).any())


def mha_masked_fill(m, x, h, mask):
    """nn.MultiheadAttention's own projections (in_proj, out_proj) around the chapter's attention
    (masked_fill with -1e9), for masks with fully masked rows."""
    b, t, d = x.shape
    q, k, v = F.linear(x, m.in_proj_weight, m.in_proj_bias).chunk(3, dim=-1)
    heads = lambda y: y.reshape(b, t, h, d // h).transpose(1, 2)
    o, weights = attention(heads(q), heads(k), heads(v), mask)
    return m.out_proj(o.transpose(1, 2).reshape(b, t, d)), weights


def multi_head(a, c):
    x, w, h, mask = c.t(a[0]), a[1], a[2], c.opt(a[3])
    b, t, d = x.shape
    m = mha_module(w, d, h, c)
    with torch.no_grad():
        if fully_masked(mask, b, h, t):
            o, weights = mha_masked_fill(m, x, h, mask)
        else:
            o, weights = m(x, x, x, attn_mask=mha_mask(mask, b, h, t), need_weights=True, average_attn_weights=False)
    no_nan("nn.MultiheadAttention", o, weights)
    return [out(o), out(weights)]


def layer_norm(a, c):
    x, gamma, beta, eps = c.t(a[0]), c.t(a[1]), c.t(a[2]), a[3]
    ln = nn.LayerNorm(x.size(-1), eps=eps).to(device=c.device, dtype=c.dtype)
    with torch.no_grad():
        ln.weight.copy_(gamma)
        ln.bias.copy_(beta)
        return out(ln(x))


def linear_and_embedding(a, c):
    x, w, b = c.t(a[0]), c.t(a[1]), c.opt(a[2])
    ids, table, padding_idx = c.t(a[3]), c.t(a[4]), a[5]
    lin = linear_module(w, b, c)
    # nn.Embedding(padding_idx=p) keeps row p at zero (reset_parameters -> _fill_padding_idx_with_zero);
    # the exercise hands a table whose row p is not zero, so the module is loaded and the row reset.
    emb = nn.Embedding(table.size(0), table.size(1), padding_idx=padding_idx).to(device=c.device, dtype=c.dtype)
    with torch.no_grad():
        emb.weight.copy_(table)
        if padding_idx is not None:
            emb._fill_padding_idx_with_zero()
        return [out(lin(x)), out(emb(ids))]


def encoder_block(a, c):
    """Post-norm encoder layer. The stages come from nn.MultiheadAttention, nn.LayerNorm and
    nn.Linear; the final output is also computed by nn.TransformerEncoderLayer (dropout 0, ReLU,
    eps 1e-5, norm_first=False) loaded with the same weights, and the two must agree."""
    x, w, h, mask = c.t(a[0]), a[1], a[2], c.opt(a[3])
    b, t, d = x.shape
    w1 = c.t(field(w, "W1"))
    layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=w1.size(0), dropout=0.0, activation="relu", layer_norm_eps=1e-5, batch_first=True, norm_first=False)
    layer = layer.to(device=c.device, dtype=c.dtype)
    layer.self_attn = mha_module(w, d, h, c)
    with torch.no_grad():
        layer.linear1.weight.copy_(w1)
        layer.linear1.bias.copy_(c.t(field(w, "b1")))
        layer.linear2.weight.copy_(c.t(field(w, "W2")))
        layer.linear2.bias.copy_(c.t(field(w, "b2")))
        for i in (1, 2):
            norm = getattr(layer, f"norm{i}")
            norm.weight.copy_(c.t(field(w, f"gamma{i}")))
            norm.bias.copy_(c.t(field(w, f"beta{i}")))
    layer.eval()
    attn_mask = mha_mask(mask, b, h, t)
    # With a fully masked row the layer itself would give NaN; the stages use the chapter's masking.
    masked_rows = fully_masked(mask, b, h, t)
    with torch.no_grad():
        if masked_rows:
            attention_out, weights = mha_masked_fill(layer.self_attn, x, h, mask)
        else:
            attention_out, weights = layer.self_attn(x, x, x, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
        residual1 = x + attention_out
        norm1 = layer.norm1(residual1)
        feed_forward = layer.linear2(F.relu(layer.linear1(norm1)))
        residual2 = norm1 + feed_forward
        output = layer.norm2(residual2)
        whole = output if masked_rows else layer(x, src_mask=attn_mask)
    no_nan("nn.TransformerEncoderLayer", output, weights, whole)
    tol = 1e-9 if c.dtype == torch.float64 else 1e-4
    if not torch.allclose(whole, output, atol=tol, rtol=tol):
        raise AssertionError(f"nn.TransformerEncoderLayer and the composed stages disagree by {(whole - output).abs().max().item()}")
    stages = {
        "attentionWeights": weights,
        "attention": attention_out,
        "residual1": residual1,
        "norm1": norm1,
        "feedForward": feed_forward,
        "residual2": residual2,
        "output": whole,
    }
    return {k: out(v) for k, v in stages.items()}


def debug_shapes(a, c):
    return multi_head(a, c)


# ------------------------------------------------------------------ positional encoding (the chapter's class)

def sinusoidal_table(t, d, c):
    pe = torch.zeros(t, d, dtype=c.dtype, device=c.device)
    position = torch.arange(0, t, dtype=c.dtype, device=c.device).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=c.dtype, device=c.device) * (-math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    # For odd d_model there is one cosine column fewer than sine columns.
    pe[:, 1::2] = torch.cos(position * div_term[: d // 2])
    return pe


def positional_encoding(a, c):
    x = c.t(a[0])
    return out(x + sinusoidal_table(x.size(1), x.size(2), c).unsqueeze(0))


# ------------------------------------------------------------------ others

def pad_batch(a, c):
    seqs, pad_id = a[0], a[1]
    if len(seqs) == 0:
        raise ValueError("no sequences")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)
    longest = int(lengths.max().item())
    if longest == 0:
        ids = torch.full((len(seqs), 0), pad_id, dtype=torch.int64)
    else:
        ids = nn.utils.rnn.pad_sequence([torch.tensor(s, dtype=torch.int64) for s in seqs], batch_first=True, padding_value=pad_id)
    mask = (torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)).to(torch.int64)
    return {"ids": tensor_json(ids, "int32"), "mask": tensor_json(mask, "int32")}


def dropout(a, c):
    """Inverted dropout with the statement's draw: u = torch.rand(x.shape, generator=manual_seed(seed))
    (the kit's generator, oracle/kit_rng.py), keep where u >= p, kept values x / (1 - p)."""
    x, p, training, seed = c.t(a[0]), a[1], a[2], a[3]
    if training is not True:
        return out(x)
    u = torch.tensor(kit_rand(seed, x.numel()), dtype=torch.float64, device=c.device).reshape(x.shape)
    keep = u >= p
    return out(torch.where(keep, x / (1 - p), torch.zeros_like(x)))


def softmax_backward(a, c):
    """d/dx of sum(grad * softmax(x)) by autograd at x = log(y) (softmax(log y) = y)."""
    y, g = c.t(a[0]), c.t(a[1])
    x = torch.log(y).detach().requires_grad_(True)
    (F.softmax(x, dim=-1) * g).sum().backward()
    grad = x.grad
    # Entries with y = 0 sit at x = -inf: their gradient y * (...) is exactly 0.
    return out(torch.where(y == 0, torch.zeros_like(grad), grad))


def weight_init(a, c):
    """The distribution torch.nn.init draws from, from torch's own fan and gain helpers."""
    shape, method, opts = a[0], a[1], a[2]
    w = torch.empty(shape, dtype=torch.float64)
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    if method.startswith("xavier"):
        std = opts["gain"] * math.sqrt(2.0 / float(fan_in + fan_out))
    elif method.startswith("kaiming"):
        fan = nn.init._calculate_correct_fan(w, opts["mode"])
        std = nn.init.calculate_gain(opts["nonlinearity"], opts["a"]) / math.sqrt(fan)
    else:
        raise ValueError(f"unknown method {method!r}")
    uniform = method.endswith("uniform")
    bound = math.sqrt(3.0) * std if uniform else None
    # A draw by torch.nn.init itself (seeded: the oracle draws nothing else) never leaves the uniform bound.
    torch.manual_seed(0)
    init = getattr(nn.init, method + "_")
    drawn = init(torch.empty(shape, dtype=torch.float64), **({"gain": opts["gain"]} if method.startswith("xavier") else {"a": opts["a"], "mode": opts["mode"], "nonlinearity": opts["nonlinearity"]}))
    if uniform and drawn.abs().max().item() > bound * (1 + 1e-12):
        raise AssertionError(f"torch.nn.init.{method}_ drew outside the bound {bound}")
    return {"distribution": "uniform" if uniform else "normal", "std": std, "bound": bound, "shape": list(shape)}


def _is_int(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and float(v).is_integer()


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def seeded_experiment(a, c):
    """The deterministic part of the experiment record: the device and the train/val/test split
    (torch.randperm after manual_seed(seed), the kit's generator). None where the config cannot
    give a record (not JSON, or fields the split needs are missing); validation is the reference's."""
    text, env = a[0], a[1]
    try:
        config = json.loads(text, parse_constant=lambda s: (_ for _ in ()).throw(ValueError(s)))
    except ValueError:
        return None
    if not isinstance(config, dict) or not isinstance(config.get("data"), dict):
        return None
    data, seed = config["data"], config.get("seed")
    n, tr, va = data.get("num_samples"), data.get("train_split"), data.get("val_split")
    if not (_is_int(n) and n >= 0 and _is_num(tr) and _is_num(va) and tr >= 0 and va >= 0 and _is_int(seed) and 0 <= seed <= 0xFFFFFFFF):
        return None
    n = int(n)
    perm = kit_randperm(n, int(seed))
    n_train = math.floor(n * tr)
    n_val = math.floor(n * va)
    return {
        "device": "cuda" if env["cudaAvailable"] else "cpu",
        "split": {"train": perm[:n_train], "val": perm[n_train : n_train + n_val], "test": perm[n_train + n_val :]},
    }


# id -> (function, what the golden holds: "full" = the whole expected value, else a projection the
# TypeScript test applies to the reference's value before comparing)
COVERED = {
    "simple-attention": (simple_attention, "full"),
    "scaled-dot-product-attention": (scaled_dot_product_attention, "full"),
    "attention-masks": (attention_masks, "full"),
    "stable-softmax": (stable_softmax, "full"),
    "self-attention": (self_attention, "full"),
    "multi-head-attention": (multi_head, "full"),
    "positional-encoding": (positional_encoding, "full"),
    "chunked-attention": (chunked_attention, "full"),
    "linear-and-embedding": (linear_and_embedding, "full"),
    "batching": (pad_batch, "full"),
    "layer-norm": (layer_norm, "full"),
    "dropout": (dropout, "full"),
    "weight-init": (weight_init, "distribution"),
    "softmax-backward": (softmax_backward, "full"),
    "debug-shapes": (debug_shapes, "full"),
    "debug-mask": (debug_mask, "full"),
    "debug-positional-encoding": (positional_encoding, "full"),
    "seeded-experiment": (seeded_experiment, "device-and-split"),
    "encoder-block": (encoder_block, "full"),
}

NOT_COVERED = {
    "attention-heatmap": "an SVG drawing judged by reading it back: nothing numeric for PyTorch to recompute",
}
