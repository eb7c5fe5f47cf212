"""Charts for the HTML report, drawn with matplotlib as inline SVG (no JavaScript, no network).

Each function takes plain data (the step log's rows, the run folder's trace data, the
checkup dict) and returns an SVG string, or None when there is nothing to draw. Figures are
built with `matplotlib.figure.Figure`, never pyplot, so no global backend or figure state of
the user's process is touched; text stays text (`svg.fonttype: none`) and is escaped by
matplotlib's XML writer.
"""
from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
RC = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10, "axes.spines.top": False,
      "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "font.family": "sans-serif"}
# Points drawn per line: longer series are thinned evenly (the last point is always kept).
MAX_POINTS = 2000
# Layers shown in a per-layer chart; deeper networks show the first and last ones.
MAX_LAYERS = 40

_counter = 0


def _chart(fn):
    """Build the chart under the report's matplotlib settings (restored afterwards)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float = 5.2, height: float = 3.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    global _counter
    _counter += 1
    buf = io.StringIO()
    # A distinct salt per chart keeps the clip-path ids of several inline SVGs apart.
    with matplotlib.rc_context({"svg.hashsalt": f"unstuck-{_counter}"}):
        # No date or creator: the same data gives the same page; no link to anything outside it.
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:]
    # Several charts share one page: give every id (and every reference to one) the chart's prefix.
    prefix = f"c{_counter}-"
    text = re.sub(r'\bid="', f'id="{prefix}', text)
    text = re.sub(r'url\(#', f'url(#{prefix}', text)
    text = re.sub(r'xlink:href="#', f'xlink:href="#{prefix}', text)
    # Let CSS size the chart: keep the viewBox, drop the fixed width and height.
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)


def _thin(xs: Sequence, ys: Sequence) -> tuple[list, list]:
    n = len(xs)
    if n <= MAX_POINTS:
        return list(xs), list(ys)
    stride = math.ceil(n / MAX_POINTS)
    idx = list(range(0, n, stride))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _log_scale_helps(values: Sequence[float]) -> bool:
    pos = [v for v in values if _finite(v) and v > 0]
    return len(pos) == len([v for v in values if _finite(v)]) and bool(pos) and max(pos) / min(pos) > 100


def _series_by_opt(rows: list[dict], key) -> dict[int, tuple[list, list]]:
    series: dict[int, tuple[list, list]] = {}
    for r in rows:
        v = key(r)
        if _finite(v):
            xs, ys = series.setdefault(r.get("opt", 0), ([], []))
            xs.append(r["step"])
            ys.append(v)
    return series


def _smooth(ys: Sequence[float]) -> list[float]:
    """An exponential moving average over about a twentieth of the run (at least 5 steps),
    started from the first value: the trend through a noisy per-batch loss."""
    alpha = 2.0 / (max(5, len(ys) // 20) + 1)
    out, level = [], None
    for y in ys:
        level = y if level is None else level + alpha * (y - level)
        out.append(level)
    return out


@_chart
def loss_chart(rows: list[dict], losses: list[dict] | None = None, title: str = "Training loss",
               eval_losses: list[dict] | None = None) -> str | None:
    """The loss at every step (faint) and its trend, with the loss of the best constant
    prediction (the level a network that ignores its input reaches) on the sampled steps and
    the losses the script computed without gradients (its evaluation), when there are any."""
    series = _series_by_opt(rows, lambda r: r.get("loss"))
    base = [(c["step"], c["baseline"]) for c in (losses or []) if _finite(c.get("baseline"))]
    evals = [(c["step"], c["value"]) for c in (eval_losses or []) if _finite(c.get("value"))]
    if not series and not base:
        return None
    fig = _figure()
    ax = fig.subplots()
    allv = []
    for i, (opt, (xs, ys)) in enumerate(sorted(series.items())):
        color = COLORS[i % len(COLORS)]
        label = "training loss" if len(series) == 1 else f"training loss (optimizer {opt})"
        smooth = _smooth(ys)
        allv += smooth
        if len(ys) >= 20:  # the raw band behind its trend; the axis follows the trend
            rx, ry = _thin(xs, ys)
            ax.plot(rx, ry, color=color, lw=0.6, alpha=0.25)
            label += ", smoothed"
        sx, sy = _thin(xs, smooth)
        ax.plot(sx, sy, color=color, lw=1.6, label=label)
    if base:
        bx, by = zip(*sorted(base))
        allv += list(by)
        ax.plot(bx, by, ls="--", color="#555555", lw=1.2, marker=".", ms=3,
                label="constant prediction (same batch)")
    if evals:
        ex, ey = zip(*evals)
        allv += list(ey)
        ax.plot(ex, ey, color=COLORS[2], lw=1.2, marker="o", ms=3, label="loss without gradients (evaluation)")
    _fit_y(ax, allv)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    _legend_outside(ax)
    return _svg(fig)


def _fit_y(ax, values: Sequence[float]) -> None:
    """Log scale when the values span more than two decades; otherwise a linear axis around
    the trend (a few spikes of the raw band are clipped rather than flattening the rest)."""
    vals = [v for v in values if _finite(v)]
    if _log_scale_helps(vals):
        ax.set_yscale("log")
    elif vals:
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
        ax.set_ylim(lo - pad, hi + pad)


def _legend_outside(ax) -> None:
    """The legend below the axes: never on top of the data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, fontsize=8, frameon=False)


@_chart
def accuracy_chart(train: list[dict], evaluation: list[dict]) -> str | None:
    """The share of samples predicted right: on the watched training batches and in the
    script's evaluation (its loss calls without gradients). Training far above evaluation is
    overfitting; both at the majority class's share is a network that learned nothing."""
    series = [("training batches (watched steps)", COLORS[0], [(p["step"], p.get("value")) for p in train]),
              ("evaluation (without gradients)", COLORS[2], [(p["step"], p.get("accuracy")) for p in evaluation])]
    series = [(label, color, [(x, y) for x, y in pts if _finite(y)]) for label, color, pts in series]
    series = [s for s in series if s[2]]
    if not series:
        return None
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    for label, color, pts in series:
        xs, ys = zip(*pts)
        ax.plot(xs, ys, color=color, lw=1.2, marker=".", ms=4, label=label)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy")
    _legend_outside(ax)
    return _svg(fig)


@_chart
def predictions_chart(predictions: list[dict]) -> str | None:
    """Each sample's prediction against its target at the first and the last watched step,
    with the line of perfect predictions and the targets' mean: a network that predicts the
    mean lies flat on the mean line, whatever the target."""
    snaps = [p for p in predictions if any(_finite(a) and _finite(b) for a, b in p.get("values") or [])]
    if not snaps:
        return None
    fig = _figure(4.6, 3.4)
    ax = fig.subplots()
    everything = []
    for i, snap in enumerate(snaps):
        pairs = [(t, y) for y, t in snap["values"] if _finite(y) and _finite(t)]
        ts, ys = zip(*pairs)
        everything += list(ts) + list(ys)
        last = i == len(snaps) - 1
        ax.scatter(ts, ys, s=10 if last else 8, alpha=0.8 if last else 0.35,
                   color=COLORS[1] if last else COLORS[0], label=f"step {snap['step']}", linewidths=0)
    last_targets = [t for y, t in snaps[-1]["values"] if _finite(t)]
    lo, hi = min(everything), max(everything)
    pad = (hi - lo) * 0.05 or 1.0
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#555555", lw=1, ls="--", label="prediction = target")
    if last_targets:
        mean = sum(last_targets) / len(last_targets)
        ax.axhline(mean, color=COLORS[2], lw=1, ls=":", label=f"targets' mean {mean:.3g}")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("target")
    ax.set_ylabel("prediction")
    ax.set_title(f"Predictions against targets ({snaps[-1].get('fn', 'loss')})")
    _legend_outside(ax)
    return _svg(fig)


@_chart
def classes_chart(classes: list[dict]) -> str | None:
    """Per class, the share of rows predicting it against the share whose target it is, at
    the last watched step (and the first): a collapsed classifier predicts one class."""
    snaps = [c for c in classes if c.get("values")]
    if not snaps:
        return None
    last = snaps[-1]
    n = len(last["values"])
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    shares = []
    bars = [("targets", [t for _, t in last["values"]], "#999999")]
    if len(snaps) > 1:
        bars.append((f"predicted, step {snaps[0]['step']}", [p for p, _ in snaps[0]["values"]], COLORS[0]))
    bars.append((f"predicted, step {last['step']}", [p for p, _ in last["values"]], COLORS[1]))
    width = 0.8 / len(bars)
    for i, (label, counts, color) in enumerate(bars):
        total = sum(v for v in counts if _finite(v)) or 1
        ys = [(v or 0) / total for v in counts] + [0.0] * (n - len(counts))
        shares += ys
        ax.bar([j + (i - (len(bars) - 1) / 2) * width for j in range(n)], ys, width=width, color=color, label=label)
    ax.set_xticks(range(n) if n <= 20 else range(0, n, max(1, n // 10)))
    ax.set_ylim(0, min(1.0, max(shares) * 1.15) or 1.0)
    ax.set_xlabel("class")
    ax.set_ylabel("share of the batch")
    ax.set_title("Predicted classes against the targets")
    _legend_outside(ax)
    return _svg(fig)


@_chart
def gradient_steps_chart(layers: list[str], snapshots: list[dict]) -> str | None:
    """Gradient norm over the watched steps for a few layers, input side to output side: a
    gap of decades between them is a vanishing (or exploding) gradient."""
    present = [n for n in layers if any(_finite(s["values"].get(n)) and s["values"][n] > 0 for s in snapshots)]
    if not present or len({s["step"] for s in snapshots}) < 2:
        return None
    picks = sorted({round(i * (len(present) - 1) / 4) for i in range(5)}) if len(present) > 5 else range(len(present))
    fig = _figure(5.2, 3.0)
    ax = fig.subplots()
    for c, i in enumerate(picks):
        name = present[i]
        pts = [(s["step"], s["values"][name]) for s in snapshots if _finite(s["values"].get(name))
               and s["values"][name] > 0]
        xs, ys = zip(*pts)
        side = "input side" if i == 0 else "output side" if i == len(present) - 1 else "layer"
        ax.plot(xs, ys, color=COLORS[c % len(COLORS)], lw=1.2, marker=".", ms=3, label=f"{name} ({side})")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("gradient norm")
    ax.set_title("Gradient norm per layer over the steps")
    _legend_outside(ax)
    return _svg(fig)


@_chart
def update_ratio_chart(series: list[dict]) -> str | None:
    """How far each step moved the parameters relative to their size, per optimizer, over
    the watched steps, against the typical band of 1e-3 to 1e-2: far above it the steps
    overshoot, far below it they barely move."""
    by_opt = _series_by_opt([{"step": p["step"], "opt": p.get("opt", 0), "v": p.get("value")} for p in series],
                            lambda r: r["v"] if _finite(r["v"]) and r["v"] > 0 else None)
    if not by_opt:
        return None
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    for i, (opt, (xs, ys)) in enumerate(sorted(by_opt.items())):
        xs, ys = _thin(xs, ys)
        ax.plot(xs, ys, color=COLORS[i % len(COLORS)], lw=1.2, marker=".", ms=3,
                label="update / weight" if len(by_opt) == 1 else f"optimizer {opt}")
    ax.axhspan(1e-3, 1e-2, color="#2ca02c", alpha=0.12, lw=0, label="typical 1e-3 to 1e-2")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("||Δw|| / ||w||")
    ax.set_title("Update size over the steps")
    _legend_outside(ax)
    return _svg(fig)


@_chart
def lr_chart(rows: list[dict]) -> str | None:
    """Each param group's learning rate over the steps; None when every rate stayed constant
    (a flat line says nothing a number would not)."""
    groups: dict[tuple[int, int], tuple[list, list]] = {}
    for r in rows:
        for g, lr in enumerate(r.get("lr") or []):
            if _finite(lr):
                xs, ys = groups.setdefault((r.get("opt", 0), g), ([], []))
                xs.append(r["step"])
                ys.append(lr)
    if all(min(ys) == max(ys) for _, ys in groups.values()):
        return None
    fig = _figure(5.2, 2.6)
    ax = fig.subplots()
    allv = []
    for i, ((opt, g), (xs, ys)) in enumerate(sorted(groups.items())):
        xs, ys = _thin(xs, ys)
        allv += ys
        ax.plot(xs, ys, color=COLORS[i % len(COLORS)], lw=1.2, drawstyle="steps-post",
                label=f"optimizer {opt}, group {g}")
    if _log_scale_helps(allv):
        ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.set_title("Learning rate")
    if len(groups) > 1:
        ax.legend(loc="best", fontsize=8)
    return _svg(fig)


def _pick_layers(names: list[str]) -> list[str]:
    if len(names) <= MAX_LAYERS:
        return names
    half = MAX_LAYERS // 2
    return names[:half] + names[-half:]


@_chart
def per_layer_chart(layers: list[str], snapshots: list[dict], *, title: str, ylabel: str) -> str | None:
    """Bars per layer (input side first) at the first and the last sampled step:
    gradient norms show vanishing or exploding gradients, update ratios how much each layer moves."""
    snaps = [s for s in snapshots if any(_finite(v) and v > 0 for v in s["values"].values())]
    if not snaps or not layers:
        return None
    chosen = [snaps[0]] if len(snaps) == 1 else [snaps[0], snaps[-1]]
    names = _pick_layers([n for n in layers if any(n in s["values"] for s in chosen)])
    if not names:
        return None
    fig = _figure(5.2, 2.6 + 0.08 * len(names))
    ax = fig.subplots()
    width = 0.8 / len(chosen)
    for i, snap in enumerate(chosen):
        ys = [snap["values"].get(n) for n in names]
        ys = [y if _finite(y) and y > 0 else float("nan") for y in ys]
        xs = [j + (i - (len(chosen) - 1) / 2) * width for j in range(len(names))]
        ax.bar(xs, ys, width=width, color=COLORS[i], label=f"step {snap['step']}")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _svg(fig)


@_chart
def activation_chart(activations: list[dict]) -> str | None:
    """Per activation call site, the share of units dead (ReLU: zero for every sample) or
    saturated (tanh/sigmoid), at the first and the last sampled step."""
    acts = [a for a in activations if any(_finite(v) and v > 0 for _, v in a.get("dead") or [])]
    if not acts:  # nothing dead or saturated anywhere: no picture
        return None
    acts = acts[:MAX_LAYERS]
    fig = _figure(5.2, max(2.0, 1.2 + 0.32 * len(acts)))
    ax = fig.subplots()
    labels = [a["label"] for a in acts]
    first = [a["dead"][0][1] or 0.0 for a in acts]
    last = [a["dead"][-1][1] or 0.0 for a in acts]
    ys = range(len(acts))
    ax.barh([y - 0.2 for y in ys], first, height=0.4, color=COLORS[0],
            label=f"first watched step ({acts[0]['dead'][0][0]})")
    ax.barh([y + 0.2 for y in ys], last, height=0.4, color=COLORS[1],
            label=f"last watched step ({acts[0]['dead'][-1][0]})")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of units dead or saturated for the whole batch")
    ax.set_title("Activation health")
    ax.legend(loc="lower right", fontsize=8)
    return _svg(fig)


def _loss_lines(series: list[tuple[str, list, list]], *, xlabel: str, ylabel: str, title: str,
                size: tuple[float, float] = (5.2, 3.0), lw: float = 1.2) -> str:
    """Named loss curves (label, steps, values) on one chart, log scale when it helps."""
    fig = _figure(*size)
    ax = fig.subplots()
    allv = []
    for i, (label, xs, ys) in enumerate(series):
        allv += list(ys)
        ax.plot(xs, ys, color=COLORS[i % len(COLORS)], lw=lw, label=label)
    if _log_scale_helps(allv):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _svg(fig)


@_chart
def compare_loss_chart(runs: list[tuple[str, list[dict]]]) -> str | None:
    """Two (or more) runs' losses on one chart."""
    series = []
    for label, rows in runs:
        xs = [r["step"] for r in rows if _finite(r.get("loss"))]
        ys = [r["loss"] for r in rows if _finite(r.get("loss"))]
        if xs:
            series.append((label, *_thin(xs, ys)))
    if not series:
        return None
    return _loss_lines(series, xlabel="optimizer step", ylabel="loss", title="Training loss")


@_chart
def replay_chart(confirmation: dict) -> str | None:
    """The replay with the fix beside the training as written: both training losses."""
    series = []
    for key, label in (("as_written", "as written"), ("with_fix", "with the fix")):
        curve = [(x, y) for x, y in (confirmation.get(key) or {}).get("curve") or [] if _finite(y)]
        if not curve:
            return None
        series.append((label, *zip(*curve)))
    return _loss_lines(series, xlabel="replay step", ylabel="training loss", title="Replay with the fix",
                       size=(4.6, 2.6), lw=1.4)


# ---------------------------------------------------------------------------- checkup

@_chart
def overfit_chart(ladder: list[dict]) -> str | None:
    """Loss before and after training on 1, 2, ... samples."""
    rungs = [r for r in ladder if _finite(r.get("loss_start")) or _finite(r.get("loss_end"))]
    if not rungs:
        return None
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    xs = range(len(rungs))
    start = [r.get("loss_start") if _finite(r.get("loss_start")) else float("nan") for r in rungs]
    end = [r.get("loss_end") if _finite(r.get("loss_end")) else float("nan") for r in rungs]
    ax.bar([x - 0.2 for x in xs], start, width=0.4, color=COLORS[0], label="loss before")
    ax.bar([x + 0.2 for x in xs], end, width=0.4, color=COLORS[2], label="loss after")
    if _log_scale_helps(start + end):
        ax.set_yscale("log")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([f"{r.get('samples', '?')} sample(s)\n{r.get('steps', '?')} steps" for r in rungs],
                       fontsize=7)
    ax.set_ylabel("loss")
    ax.set_title("Overfitting a few samples")
    ax.legend(loc="best", fontsize=8)
    return _svg(fig)


@_chart
def baselines_chart(baselines: list[dict], network: dict | None) -> str | None:
    """Simple baselines' scores against the network's (higher is better)."""
    bars = [(b.get("name", "?"), b.get("score")) for b in baselines if _finite(b.get("score"))]
    if network and _finite(network.get("score")):
        bars.append(("network", network["score"]))
    if not bars:
        return None
    metric = (network or {}).get("metric") or next((b.get("metric") for b in baselines if b.get("metric")), "score")
    fig = _figure(5.2, 1.2 + 0.35 * len(bars))
    ax = fig.subplots()
    colors = [COLORS[1] if name == "network" else COLORS[0] for name, _ in bars]
    ax.barh(range(len(bars)), [v for _, v in bars], color=colors)
    ax.set_yticks(range(len(bars)))
    ax.set_yticklabels([name for name, _ in bars])
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric} (higher is better)")
    ax.set_title("Baselines against the network")
    return _svg(fig)


@_chart
def lr_range_chart(lr_range: dict) -> str | None:
    """Loss against learning rate in the range test, with the suggested rate marked."""
    pairs = [(lr, loss) for lr, loss in zip(lr_range.get("lrs") or [], lr_range.get("losses") or [])
             if _finite(lr) and lr > 0 and _finite(loss)]
    if not pairs:
        return None
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    xs, ys = zip(*pairs)
    ax.plot(xs, ys, color=COLORS[0], lw=1.2, marker=".", ms=3)
    ax.set_xscale("log")
    low = min(ys)
    if low > 0 and max(ys) > 4 * ys[0] > 0:  # a diverging tail would flatten the rest: cut the view
        ax.set_ylim(low * 0.9 if low > 0 else None, 4 * ys[0])
        ax.text(0.99, 0.98, "diverging tail cut off", transform=ax.transAxes, ha="right", va="top", fontsize=7,
                color="#555555")
    suggestion = lr_range.get("suggestion")
    if _finite(suggestion) and suggestion > 0:
        ax.axvline(suggestion, color=COLORS[1], ls="--", lw=1.2, label=f"suggested lr {suggestion:.3g}")
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title("Learning-rate range test")
    return _svg(fig)


@_chart
def optimizers_chart(optimizers: list[dict]) -> str | None:
    """Loss curves of a short run with each optimizer."""
    runs = [o for o in optimizers if any(_finite(v) for v in o.get("losses") or [])]
    if not runs:
        return None
    fig = _figure(5.2, 2.8)
    ax = fig.subplots()
    allv = []
    for i, o in enumerate(runs):
        ys = [v if _finite(v) else float("nan") for v in o["losses"]]
        allv += [v for v in ys if _finite(v)]
        lr = o.get("lr")
        ax.plot(range(1, len(ys) + 1), ys, color=COLORS[i % len(COLORS)], lw=1.2,
                label=f"{o.get('name', '?')}" + (f" (lr {lr:.3g})" if _finite(lr) else ""))
    if _log_scale_helps(allv):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("Optimizers compared")
    ax.legend(loc="best", fontsize=8)
    return _svg(fig)
