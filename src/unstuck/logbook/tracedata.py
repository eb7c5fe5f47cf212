"""The Trace's facts that the HTML report draws, as plain JSON (`trace.json` of a run folder).

Facts only, copied out of the Trace: per sampled step, the training loss with the loss of
the best constant prediction on that batch, and the losses computed without gradients
(evaluation), with the accuracy of both where the loss is a classification loss; each weight matrix's gradient norm and update-to-weight ratio, and each
optimizer's overall update ratio; each activation call site's dead/saturated fraction; the
predictions against the targets (or per class, predicted against true counts) at the first
and the last watched step. No verdicts.
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
    return {"unstuck_trace_data": TRACE_DATA_FORMAT, "losses": losses, "eval_losses": _eval_losses(trace),
            "train_accuracy": _train_accuracy(trace),
            "layers": layers, "grad_norms": grad_norms, "update_ratios": update_ratios,
            "update_ratio": [{"step": r.tick + 1, "opt": r.opt, "value": _num(r.update_ratio)}
                             for r in trace.steps if r.update_ratio is not None],
            "predictions": _first_and_last(trace, "pairs"), "classes": _first_and_last(trace, "class_counts"),
            "activations": list(sites.values()),
            "optimizers": [{"key": o.key, "cls": o.cls, "site": _site(o.site)} for o in trace.optimizers.values()]}


def _eval_losses(trace: Trace) -> list[dict]:
    """The mean of the loss values computed without gradients after each step (a validation
    or test loss, when the script evaluates)."""
    by_step: dict[int, list] = {}
    for c in trace.losses:
        if not c.training and c.value is not None and math.isfinite(c.value):
            by_step.setdefault(c.tick, []).append(c)
    # `step` is the number of steps completed when the evaluation ran (a training loss's is
    # the step it belongs to, one more)
    return [{"step": tick, "value": _num(sum(c.value for c in calls) / len(calls)), "calls": len(calls),
             "accuracy": _mean([c.accuracy for c in calls])} for tick, calls in sorted(by_step.items())]


def _train_accuracy(trace: Trace) -> list[dict]:
    """The share of each watched training batch predicted right (class losses)."""
    by_step: dict[int, list] = {}
    for c in trace.losses:
        if c.training and c.accuracy is not None:
            by_step.setdefault(c.tick, []).append(c.accuracy)
    return [{"step": tick + 1, "value": _mean(v)} for tick, v in sorted(by_step.items())]


def _mean(values: list) -> float | None:
    kept = [v for v in values if v is not None]
    return _num(sum(kept) / len(kept)) if kept else None


def _first_and_last(trace: Trace, field: str) -> list[dict]:
    """The training loss calls' `field` (pairs or class counts) at the first and the last
    watched step that has it, from the loss function called most often."""
    calls = [c for c in trace.losses if c.training and getattr(c, field)]
    if not calls:
        return []
    fns = [c.fn for c in calls]
    main = max(set(fns), key=fns.count)
    calls = [c for c in calls if c.fn == main]
    chosen = [calls[0]] if calls[0].tick == calls[-1].tick else [calls[0], calls[-1]]
    return [{"step": c.tick + 1, "fn": c.fn, "values": [[_num(a), _num(b)] for a, b in getattr(c, field)]}
            for c in chosen]
