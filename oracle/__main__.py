"""Command line of the oracle. Run from the repository root with Debian's Python:

  node --import tsx oracle/export.ts                      # 1. export the case inputs (oracle/cases/)
  /usr/bin/python3 -m oracle golden                       # 2. write oracle/golden/<id>.json
  /usr/bin/python3 -m oracle check --sample 4             # recompute a sample, compare with the goldens
  /usr/bin/python3 -m oracle agreement --device auto      # GPU (when present) and float32 vs the goldens
  /usr/bin/python3 -m oracle differential [--check]        # the kit-vs-PyTorch suite (oracle/differential/)

--device cpu|cuda|auto picks where PyTorch computes (auto: cuda when torch sees one, else cpu);
--dtype float64|float32 the float type (goldens: float64 on the CPU, rounded to float32 on write).
"""
import argparse
import json
import os
import platform
import sys
import time

import torch

from . import ORACLE_VERSION
from .exercises import COVERED, NOT_COVERED, Ctx
from .checkpoint import state_dict_driver
from .composition import composition_tokenizer
from .smiles import RDKIT_VERSION, smiles_tokenizer
from .wire import decode
from . import kit_differential

ALL = dict(COVERED)
ALL["smiles-tokenizer"] = (smiles_tokenizer, "rdkit-atoms")
ALL["composition-tokenizer"] = (composition_tokenizer, "formula-tokens")
ALL["state-dict"] = (state_dict_driver, "checkpoint")

HERE = os.path.dirname(os.path.abspath(__file__))


def pick_device(name):
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch.cuda.is_available() is False on this machine (torch %s)" % torch.__version__)
    if name not in ("cpu", "cuda"):
        raise SystemExit(f"--device must be cpu, cuda or auto, not {name!r}")
    return name


def device_name(device):
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)"


def read_json(path, how_to_make):
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `{how_to_make}` first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_cases(cases_dir, exercise):
    return read_json(os.path.join(cases_dir, f"{exercise}.json"), "node --import tsx oracle/export.ts")


def instance_key(c):
    return c["id"] if c["seed"] is None else f"{c['id']}@{c['seed']}"


def compute(exercise, case, ctx):
    fn, _ = ALL[exercise]
    try:
        return fn([decode(a, f"{instance_key(case)}.args[{i}]") for i, a in enumerate(case["args"])], ctx)
    except Exception as e:  # name the case: a failure here is a finding, not noise
        raise RuntimeError(f"{exercise} {instance_key(case)}: {type(e).__name__}: {e}") from e


def exercises_arg(ids):
    for i in ids:
        if i not in ALL and i not in NOT_COVERED:
            raise SystemExit(f"unknown exercise {i!r}")
    return [i for i in (ids or sorted(ALL)) if i in ALL]


def oracle_header(device, dtype):
    return {
        "version": ORACLE_VERSION,
        "torch": torch.__version__,
        "rdkit": RDKIT_VERSION,
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
    }


def dtype_arg(s):
    return {"float64": torch.float64, "float32": torch.float32}[s]


def cmd_golden(args):
    device = pick_device(args.device)
    ctx = Ctx(dtype_arg(args.dtype), device)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    summary = {}
    for ex in exercises_arg(args.exercises):
        doc = load_cases(args.cases, ex)
        t0 = time.perf_counter()
        cases = []
        for c in doc["cases"]:
            cases.append({"id": c["id"], "kind": c["kind"], "seed": c["seed"], "sha256": c["sha256"], "expected": compute(ex, c, ctx)})
        golden = {"oracle": oracle_header(device, ctx.dtype), "exercise": ex, "check": ALL[ex][1], "tolerance": doc["tolerance"], "cases": cases}
        with open(os.path.join(args.out, f"{ex}.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        summary[ex] = len(cases)
        print(f"{ex}: {len(cases)} cases ({time.perf_counter() - t0:.1f} s)")
    if not args.exercises:
        index = {
            "oracle": oracle_header(device, ctx.dtype),
            "covered": {ex: {"check": ALL[ex][1], "cases": n} for ex, n in summary.items()},
            "notCovered": NOT_COVERED,
            "command": "node --import tsx oracle/export.ts && /usr/bin/python3 -m oracle golden",
        }
        with open(os.path.join(args.out, "index.json"), "w", encoding="utf-8") as f:
            json.dump(index, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"wrote {sum(summary.values())} golden cases for {len(summary)} exercises to {os.path.relpath(args.out)}")


# ------------------------------------------------------------------ comparison of two golden values

class Diff:
    def __init__(self, tolerance=None):
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.values = 0
        self.problems = []
        self.tolerance = tolerance
        self.outside = 0

    def number(self, where, e, a, atol):
        self.values += 1
        if isinstance(e, str) or isinstance(a, str):  # non-finite
            if e != a:
                self.problems.append(f"{where}: expected {e}, got {a}")
            return
        err = abs(a - e)
        if self.tolerance is not None and err > self.tolerance["atol"] + self.tolerance["rtol"] * abs(e):
            self.outside += 1
        self.max_abs = max(self.max_abs, err)
        if abs(e) > atol:
            self.max_rel = max(self.max_rel, err / abs(e))


def walk(e, a, diff, where="$", atol=1e-6):
    if isinstance(e, dict) and "$tensor" in e:
        if not (isinstance(a, dict) and "$tensor" in a):
            diff.problems.append(f"{where}: expected a tensor")
            return
        te, ta = e["$tensor"], a["$tensor"]
        if te["shape"] != ta["shape"] or te["dtype"] != ta["dtype"]:
            diff.problems.append(f"{where}: expected {te['dtype']}{te['shape']}, got {ta['dtype']}{ta['shape']}")
            return
        for x, y in zip(te["data"], ta["data"]):
            diff.number(where, x, y, atol)
        return
    if isinstance(e, dict):
        if not isinstance(a, dict) or set(e) != set(a):
            diff.problems.append(f"{where}: keys differ")
            return
        for k in e:
            walk(e[k], a[k], diff, f"{where}.{k}", atol)
        return
    if isinstance(e, list):
        if not isinstance(a, list) or len(e) != len(a):
            diff.problems.append(f"{where}: lengths differ")
            return
        for i, (x, y) in enumerate(zip(e, a)):
            walk(x, y, diff, f"{where}[{i}]", atol)
        return
    if isinstance(e, float) and isinstance(a, (int, float)) and not isinstance(a, bool):
        diff.number(where, e, a, atol)
        return
    if e != a:
        diff.problems.append(f"{where}: expected {e!r}, got {a!r}")


def load_golden(golden_dir, ex):
    return read_json(os.path.join(golden_dir, f"{ex}.json"), "/usr/bin/python3 -m oracle golden")


def sample(cases, n):
    """n instances spread over the file (first and last included), or all when n <= 0."""
    if n <= 0 or n >= len(cases):
        return list(range(len(cases)))
    return sorted({round(i * (len(cases) - 1) / (n - 1)) for i in range(n)}) if n > 1 else [0]


def cmd_check(args):
    """Recomputes (a sample of) every golden file and compares: the goldens are what the oracle
    computes, not hand-edited. Float values may differ in the last float32 bit between machines
    (BLAS summation order), so the tolerance is a few float32 ulps: atol 1e-7, rtol 5e-7."""
    device = pick_device(args.device)
    ctx = Ctx(dtype_arg(args.dtype), device)
    failures = []
    checked = identical = 0
    worst_abs = worst_rel = 0.0
    for ex in exercises_arg(args.exercises):
        golden = load_golden(args.golden, ex)
        doc = load_cases(args.cases, ex)
        by_key = {instance_key(c): c for c in doc["cases"]}
        for i in sample(golden["cases"], args.sample):
            g = golden["cases"][i]
            key = instance_key(g)
            case = by_key.get(key)
            if case is None:
                failures.append(f"{ex} {key}: no such case in the exported inputs (golden stale? regenerate)")
                continue
            if case["sha256"] != g["sha256"]:
                failures.append(f"{ex} {key}: the exported inputs differ from those the golden was computed from (sha256); regenerate the goldens")
                continue
            got = compute(ex, case, ctx)
            checked += 1
            if json.dumps(got, separators=(",", ":")) == json.dumps(g["expected"], separators=(",", ":")):
                identical += 1
                continue
            d = Diff()
            walk(g["expected"], got, d)
            worst_abs, worst_rel = max(worst_abs, d.max_abs), max(worst_rel, d.max_rel)
            if d.problems:
                failures.append(f"{ex} {key}: {d.problems[0]}")
            elif d.max_abs > 1e-7 and d.max_rel > 5e-7:
                failures.append(f"{ex} {key}: max abs error {d.max_abs:.3g}, max rel error {d.max_rel:.3g} (allowed: atol 1e-7 or rtol 5e-7)")
    print(f"recomputed {checked} golden cases on {device_name(device)} (torch {torch.__version__}): {identical} byte-identical, worst abs {worst_abs:.3g}, worst rel {worst_rel:.3g}")
    if failures:
        print(f"{len(failures)} golden cases do not reproduce:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    print("every recomputed golden case reproduces")
    return 0


def agreement_rows(device, dtype, golden_dir, cases_dir, exercises):
    ctx = Ctx(dtype, device)
    rows = []
    for ex in exercises:
        if ALL[ex][1] not in ("full",):
            continue
        golden = load_golden(golden_dir, ex)
        doc = load_cases(cases_dir, ex)
        by_key = {instance_key(c): c for c in doc["cases"]}
        tol = golden["tolerance"]
        d = Diff(tol)
        n = 0
        for g in golden["cases"]:
            case = by_key[instance_key(g)]
            walk(g["expected"], compute(ex, case, ctx), d, atol=tol["atol"] or 1e-6)
            n += 1
        rows.append({
            "exercise": ex,
            "cases": n,
            "values": d.values,
            "maxAbsError": d.max_abs,
            "maxRelError": d.max_rel,
            "tolerance": tol,
            "outsideTolerance": d.outside,
            "problems": d.problems[:3],
            "withinTolerance": not d.problems and d.outside == 0,
        })
    return rows


def cmd_agreement(args):
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    exercises = exercises_arg(args.exercises)
    command = "node --import tsx oracle/export.ts && /usr/bin/python3 -m oracle agreement --device " + args.device
    want_cuda = args.device in ("cuda", "auto")
    cuda = torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        raise SystemExit("--device cuda: torch.cuda.is_available() is False here (Debian's python3-torch is a CPU build); use --device auto to record that no GPU run was possible")
    if args.device not in ("cpu", "cuda", "auto"):
        raise SystemExit(f"--device must be cpu, cuda or auto, not {args.device!r}")
    runs = []
    if want_cuda and cuda:
        for dt in (torch.float32, torch.float64):
            runs.append({"device": "cuda", "deviceName": device_name("cuda"), "dtype": str(dt).replace("torch.", ""), "rows": agreement_rows("cuda", dt, args.golden, args.cases, exercises)})
    runs.append({"device": "cpu", "deviceName": device_name("cpu"), "dtype": "float32", "rows": agreement_rows("cpu", torch.float32, args.golden, args.cases, exercises)})
    result = {
        "oracle": ORACLE_VERSION,
        "torch": torch.__version__,
        "cudaAvailable": cuda,
        "cudaRun": bool(want_cuda and cuda),
        "command": command,
        "goldens": "oracle/golden (float64 on the CPU, rounded to float32)",
        "runs": runs,
    }
    with open(os.path.join(out_dir, "gpu-agreement.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "gpu-agreement.md"), "w", encoding="utf-8") as f:
        f.write(markdown(result))
    print(markdown(result))
    return 0


def markdown(r):
    lines = ["# Oracle agreement: GPU and float32 against the CPU float64 goldens", ""]
    lines.append(f"Produced by `{r['command']}` (oracle {r['oracle']}, torch {r['torch']}).")
    lines.append("")
    if r["cudaRun"]:
        lines.append("A CUDA device was available: the oracle ran on it in float32 and float64 and is compared below with the CPU goldens.")
    else:
        lines.append("**GPU: not run.** No CUDA device was available in the session that wrote this file "
                     "(`torch.cuda.is_available()` was False; Debian's python3-torch is a CPU-only build), so there are no GPU "
                     "numbers here. On a machine with an NVIDIA GPU and a CUDA build of PyTorch, run from the repository root "
                     "`npm ci && node --import tsx oracle/export.ts && python3 -m oracle agreement --device cuda`; it rewrites "
                     "this file with a table per CUDA dtype (float32, float64; device name included) beside the CPU float32 table.")
    lines.append("")
    lines.append("Each row: every golden case of the exercise recomputed on that device and dtype; the largest absolute and "
                 "relative error against the golden (relative only where |golden| > atol), and whether every value is within "
                 "the exercise's own tolerance (|a - e| <= atol + rtol |e|), the one submissions are graded with. "
                 "The exercises whose goldens are not tensors (weight-init: a distribution from torch.nn.init's formulas; "
                 "seeded-experiment: a split from the kit's generator; smiles-tokenizer and composition-tokenizer: RDKit; state-dict: copies through state_dict/load_state_dict) involve no device arithmetic "
                 "and are not listed.")
    for run in r["runs"]:
        lines.append("")
        lines.append(f"## {run['device']}: {run['deviceName']}, {run['dtype']}")
        lines.append("")
        lines.append("| exercise | cases | values | max abs error | max rel error | tolerance (atol, rtol) | within tolerance |")
        lines.append("|---|---:|---:|---:|---:|---|---|")
        for row in run["rows"]:
            t = row["tolerance"]
            lines.append(f"| {row['exercise']} | {row['cases']} | {row['values']} | {row['maxAbsError']:.3g} | {row['maxRelError']:.3g} | {t['atol']}, {t['rtol']} | {'yes' if row['withinTolerance'] else 'NO'} |")
    lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m oracle", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(s):
        s.add_argument("--cases", default=os.path.join(HERE, "cases"), help="exported inputs (default: oracle/cases)")
        s.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
        s.add_argument("exercises", nargs="*", help="exercise ids (default: every covered exercise)")

    g = sub.add_parser("golden", help="compute the golden files")
    common(g)
    g.add_argument("--out", default=os.path.join(HERE, "golden"))
    g.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    c = sub.add_parser("check", help="recompute (a sample of) the goldens and compare")
    common(c)
    c.add_argument("--golden", default=os.path.join(HERE, "golden"))
    c.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    c.add_argument("--sample", type=int, default=0, help="instances per exercise (0: all)")
    a = sub.add_parser("agreement", help="GPU (if any) and float32 results against the goldens")
    common(a)
    a.add_argument("--golden", default=os.path.join(HERE, "golden"))
    a.add_argument("--out", default=os.path.join(HERE, "results"))
    kit_differential.add_parser(sub)
    args = p.parse_args(argv)
    if args.cmd == "differential":
        return kit_differential.cmd_differential(args)
    if args.cmd == "golden":
        return cmd_golden(args) or 0
    if args.cmd == "check":
        return cmd_check(args)
    return cmd_agreement(args)


if __name__ == "__main__":
    sys.exit(main())
