"""The state-dict exercise's driver, run with real PyTorch modules.

The exercise models parameters as a flat object of named tensors; here each set of names becomes
a real nn.Module tree ("layers.0.attn.W_q.weight" -> modules layers/0/attn/W_q, parameter weight),
and the driver of the statement runs with PyTorch's own machinery: model.state_dict() written to a
checkpoint with torch.save and read back with torch.load (a snapshot, as the statement demands),
the model's parameters then overwritten (training goes on), the edits applied to the loaded dict,
target.load_state_dict(dict, strict), and the dict's tensors overwritten (the checkpoint is reused).

Golden: {"params", "savedKeys", "missingKeys", "unexpectedKeys"} after a load, or {"error": PyTorch's
RuntimeError message} where load_state_dict refuses. PyTorch orders keys by the module tree; the
statement says key order means nothing, so the key lists are compared as sets.
"""
import io

import torch
import torch.nn as nn

from .wire import Tensor, tensor_json

AFTER_SAVE = 1_000_000.0
AFTER_LOAD = -1_000_000.0


def _module_of(names, values):
    root = nn.Module()
    for name in names:
        *path, leaf = name.split(".")
        m = root
        for part in path:
            child = m._modules.get(part)
            if child is None:
                child = nn.Module()
                m.add_module(part, child)
            m = child
        m.register_parameter(leaf, nn.Parameter(values[name].clone()))
    return root


def _tensor(v, where):
    if not isinstance(v, Tensor):
        raise TypeError(f"{where} must be a tensor")
    return v.torch(torch.float32, "cpu")


def state_dict_driver(a, c):
    model_arg, target_arg, edits, strict = a[0], a[1], a[2], a[3]
    model = _module_of(list(model_arg), {k: _tensor(v, f"model.{k}") for k, v in model_arg.items()})
    target = _module_of(list(target_arg), {k: _tensor(v, f"target.{k}") for k, v in target_arg.items()})
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer)
    saved_keys = list(saved.keys())
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(AFTER_SAVE)
    for k, v in edits.items():
        if v is None:
            saved.pop(k, None)
        else:
            saved[k] = _tensor(v, f"edits.{k}")
    try:
        result = target.load_state_dict(saved, strict=strict)
    except RuntimeError as e:
        return {"error": str(e)}
    for t in saved.values():
        t.fill_(AFTER_LOAD)
    return {
        "params": {k: tensor_json(v, "float32") for k, v in target.state_dict().items()},
        "savedKeys": saved_keys,
        "missingKeys": list(result.missing_keys),
        "unexpectedKeys": list(result.unexpected_keys),
    }
