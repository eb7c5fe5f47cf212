"""The checkup's verdict: the seed's ladder, read off the ranked findings.

1. a root cause found by watching, or a model that cannot overfit a few samples -> `bug`
   (a data cause -> `data`);
2. no model beats a constant -> `data` (`not-learnable`);
3. simple baselines beat the network -> `capacity` (no optimizer tried closes the gap) or
   `optimisation` (another optimizer/learning rate does);
4. otherwise `healthy`; `inconclusive` when the experiments could not run.

It only reads the findings (the rules did the judging) and the measured results for the
numbers quoted in the summary.
"""
from __future__ import annotations

from unstuck.checkup.results import CheckupResults
from unstuck.reportdata import Finding, Kind, Severity

DATA_CAUSES = frozenset({"data-nonfinite", "not-learnable", "label-misalignment", "unscaled-inputs",
                         "unscaled-targets"})


def _better_setting(results: CheckupResults) -> str:
    parts = []
    if results.lr_range and results.lr_range.suggestion:
        parts.append(f"the learning-rate range test suggests lr {results.lr_range.suggestion:.2g}")
    runs = [r for r in results.optimizers if r.final_loss is not None]
    if runs:
        best = min(runs, key=lambda r: r.final_loss)
        parts.append(f"{best.name} reached the lowest training loss ({best.final_loss:.3g})")
    return "; ".join(parts)


def verdict(findings: list[Finding], results: CheckupResults) -> dict:
    """The verdict; one that rests on partial evidence says so and lists what was skipped."""
    found = _verdict(findings, results)
    skipped = {k: v for k, v in results.skipped.items() if k != "experiments"}
    if skipped and found["kind"] != "inconclusive":
        found["partial"] = sorted(skipped)
        found["summary"] += (" This verdict rests on partial evidence: skipped "
                             + "; ".join(f"{k.replace('_', ' ')} ({v})" for k, v in skipped.items()) + ".")
    return found


def _verdict(findings: list[Finding], results: CheckupResults) -> dict[str, str]:
    shown = [f for f in findings if f.severity is not Severity.INFO]
    causes = [f for f in shown if f.kind is Kind.CAUSE]
    by_cause = {f.cause: f for f in findings}
    if causes and causes[0].cause != "below-baseline":  # below-baseline as a cause: capacity, below
        root = causes[0]
        kind = "data" if root.cause in DATA_CAUSES else "bug"
        extra = ""
        if "cannot-overfit" in by_cause:
            extra = " The overfit ladder confirms it: the model cannot fit a handful of samples."
        if root.cause == "not-learnable":
            return {"kind": "data", "summary": root.message}
        return {"kind": kind, "summary": f"{root.title} ({root.cause}"
                f"{', ' + root.location.file + ':' + str(root.location.line) if root.location else ''}). "
                f"{root.message}{extra} Fix it first; the other findings follow from it or come after it."}
    if "cannot-overfit" in by_cause:
        return {"kind": "bug", "summary": by_cause["cannot-overfit"].message + " No watch rule named the cause: "
                "check the shapes and values that reach the loss, and the path from input to output."}
    below = by_cause.get("below-baseline")
    if below is not None:
        better = _better_setting(results)
        if below.severity is Severity.INFO:
            return {"kind": "optimisation", "summary": below.message + (f" ({better})." if better else "")}
        return {"kind": "capacity", "summary": below.message + " No optimizer tried closes the gap: give the model "
                "more capacity (hidden layers with a non-linearity)." + (f" Also: {better}." if better else "")}
    ran = bool(results.overfit) or bool(results.baselines)
    if not ran:
        why = "; ".join(f"{k}: {v}" for k, v in results.skipped.items()) or "nothing was captured"
        return {"kind": "inconclusive", "summary": f"The experiments could not run ({why})."}
    parts = []
    if results.overfit:
        top = results.overfit[-1]
        parts.append(f"the model fits {top.samples} samples (loss {top.loss_start:.3g} -> "
                     f"{min(x for x in (top.loss_end, top.other_loss_end) if x is not None):.3g})")
    net = results.network
    others = [b for b in results.baselines if b.name != "constant"]
    if net and net.score is not None and others:
        best = max(others, key=lambda b: b.score)
        parts.append(f"the network scores {net.metric} {net.score:.3f} against {best.name} {best.score:.3f} and a "
                     f"constant's {results.constant_score:.3f}")
    better = _better_setting(results)
    if better:
        parts.append(better)
    return {"kind": "healthy", "summary": "No problem found: " + "; ".join(parts) + "."}
