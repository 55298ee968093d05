"""Reading exported case arguments (oracle/export.ts) and writing golden values.

Wire JSON: a tensor is {"$tensor": {"dtype", "shape", "data"}} with NaN / +-Infinity as the
strings "NaN", "Infinity", "-Infinity"; a non-finite plain number is {"$number": "..."}.
Golden floats are float32-rounded and written in the shortest decimal that reads back as the
same float32 (numpy's float32 repr), so the files are compact and byte-stable for a given result.
"""
import math

import numpy as np
import torch

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class Tensor:
    """A decoded wire tensor: dtype name, shape, flat Python numbers."""

    __slots__ = ("dtype", "shape", "data")

    def __init__(self, dtype, shape, data):
        self.dtype = dtype
        self.shape = list(shape)
        self.data = data

    def torch(self, float_dtype, device):
        """As a torch tensor: floats in the oracle's float dtype, int32 as int64, bool as bool."""
        if self.dtype == "float32":
            # Values are float32 on the wire; widening to float64 is exact.
            t = torch.tensor(self.data, dtype=torch.float32).to(float_dtype)
        elif self.dtype == "int32":
            t = torch.tensor(self.data, dtype=torch.int64)
        elif self.dtype == "bool":
            t = torch.tensor(self.data, dtype=torch.bool)
        else:
            raise ValueError(f"unknown tensor dtype {self.dtype!r}")
        return t.reshape(self.shape).to(device)


def decode(j, where="$"):
    if j is None or isinstance(j, (bool, str, int, float)):
        return j
    if isinstance(j, list):
        return [decode(x, f"{where}[{i}]") for i, x in enumerate(j)]
    if isinstance(j, dict):
        if "$tensor" in j:
            t = j["$tensor"]
            data = [(_NONFINITE[x] if isinstance(x, str) else x) for x in t["data"]]
            n = 1
            for d in t["shape"]:
                n *= d
            if n != len(data):
                raise ValueError(f"{where}: tensor of shape {t['shape']} has {len(data)} values")
            return Tensor(t["dtype"], t["shape"], data)
        if "$number" in j:
            return _NONFINITE[j["$number"]]
        return {k: decode(v, f"{where}.{k}") for k, v in j.items()}
    raise ValueError(f"{where}: not wire JSON: {type(j).__name__}")


def _shortest32(f):
    # numpy prints the shortest decimal that reads back as this float32 (Dragon4, unique mode).
    s = np.format_float_positional(f, unique=True, trim="-") if abs(float(f)) >= 1e-4 or f == 0 else np.format_float_scientific(f, unique=True, trim="-")
    v = float(s)
    assert np.float32(v) == f, (s, f)
    return int(v) if v.is_integer() and abs(v) < 2**53 and "e" not in s else v


def tensor_json(t: torch.Tensor, dtype: str):
    """A computed tensor as golden wire JSON with the wire dtype the exercise returns."""
    t = t.detach().cpu()
    shape = list(t.shape)
    flat = t.reshape(-1)
    if dtype == "float32":
        data = []
        for x in flat.to(torch.float64).tolist():
            if math.isfinite(x):
                data.append(_shortest32(np.float32(x)))
            else:
                data.append("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))
    elif dtype == "int32":
        data = [int(x) for x in flat.tolist()]
    elif dtype == "bool":
        data = [1 if x else 0 for x in flat.tolist()]
    else:
        raise ValueError(dtype)
    return {"$tensor": {"dtype": dtype, "shape": shape, "data": data}}
