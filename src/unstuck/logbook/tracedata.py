"""The Trace's facts that the HTML report draws, as plain JSON (`trace.json` of a run folder).

Facts only, copied out of the Trace: per sampled step, the training loss with the loss of
the best constant prediction on that batch; each weight matrix's gradient norm and
update-to-weight ratio; each activation call site's dead/saturated fraction. No verdicts.
"""
from __future__ import annotations

import math

from unstuck.trace import Location, Trace

TRACE_DATA_FORMAT = 1


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _site(loc: Location | None) -> dict | None:
    if loc is None:
        return None
    return {"file": loc.file, "line": loc.line, "function": loc.function, "code": loc.code}


def trace_data(trace: Trace) -> dict:
    losses = [{"step": c.tick + 1, "fn": c.fn, "value": _num(c.value), "baseline": _num(c.baseline),
               "floor": _num(c.floor)}
              for c in trace.losses if c.training]
    names = {}
    for rec in trace.steps:
        for pid, _ in rec.layer_grad_norms:
            names[pid] = trace.param_name(pid)
        for pid, _ in getattr(rec, "layer_update_ratios", ()):
            names[pid] = trace.param_name(pid)

    def order(pid: int):
        info = trace.params.get(pid)
        rank = info.layer_order if info is not None and info.layer_order >= 0 else 10**9
        return rank, names[pid]

    layers = [{"name": names[pid], "shape": list(trace.params[pid].shape) if pid in trace.params else None}
              for pid in sorted(names, key=order)]
    grad_norms = [{"step": r.tick + 1, "opt": r.opt, "values": {names[p]: _num(v) for p, v in r.layer_grad_norms}}
                  for r in trace.steps if r.layer_grad_norms]
    update_ratios = [{"step": r.tick + 1, "opt": r.opt,
                      "values": {names[p]: _num(v) for p, v in getattr(r, "layer_update_ratios", ())}}
                     for r in trace.steps if getattr(r, "layer_update_ratios", ())]
    sites: dict[tuple, dict] = {}
    for a in trace.activations:
        key = (a.kind, a.site.file if a.site else None, a.site.line if a.site else None)
        entry = sites.get(key)
        if entry is None:
            where = f"{a.site.file.rsplit('/', 1)[-1]}:{a.site.line}" if a.site else "?"
            entry = sites[key] = {"label": f"{a.kind} at {where}", "kind": a.kind, "site": _site(a.site),
                                  "units": a.units, "dead": []}
        entry["dead"].append([a.tick + 1, _num(a.dead_fraction)])
    return {"unstuck_trace_data": TRACE_DATA_FORMAT, "losses": losses, "layers": layers, "grad_norms": grad_norms,
            "update_ratios": update_ratios, "activations": list(sites.values()),
            "optimizers": [{"key": o.key, "cls": o.cls, "site": _site(o.site)} for o in trace.optimizers.values()]}
