"""The visual report: one self-contained HTML page (inline CSS and SVG charts, no JavaScript,
no network), built with Jinja2 templates that escape every value by default.

It reads the JSON form of a Report (`report_dict`), the run folder's trace data
(`unstuck.logbook.tracedata`) and the step log's rows; it draws what they hold and judges
nothing. A Content-Security-Policy forbids scripts and remote loads, so even a value that
slipped past escaping could not run or call out.
"""
from __future__ import annotations

import linecache
import math
import os
from dataclasses import dataclass, field
from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from unstuck.checkup.results import EXPERIMENTS
from unstuck.report import plots
from unstuck.report.folding import Folded, because, fold_dicts

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=PackageLoader("unstuck.report", "templates"),
                           autoescape=select_autoescape(default=True, default_for_string=True),
                           trim_blocks=True, lstrip_blocks=True)
        _env.filters["num"] = _fmt_num
        _env.filters["because"] = because
    return _env


def _fmt_num(v, digits: int = 4) -> str:
    if isinstance(v, bool) or v is None:
        return "–" if v is None else str(v)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        return f"{v:.{digits}g}"
    return str(v)


def report_dict(report) -> dict:
    """The JSON form of a Report, with each finding's source line and the checkup (when the
    Report has one) added for the page."""
    from unstuck.report.json import to_dict
    data = to_dict(report)
    for f, obj in zip(data["findings"], report.findings):
        for key in ("location", "shows_at"):
            loc = getattr(obj, key, None)
            if f.get(key) and loc is not None and loc.code:
                f[key]["code"] = loc.code
    data.setdefault("checkup", getattr(report, "checkup", None))
    data.setdefault("notes", list(getattr(report, "notes", [])))
    return data


def _source_line(loc: dict | None) -> str:
    if not loc:
        return ""
    if loc.get("code"):
        return loc["code"]
    path, line = loc.get("file"), loc.get("line")
    if path and isinstance(line, int) and os.path.isfile(path):
        return linecache.getline(path, line).strip()
    return ""


@dataclass
class Chart:
    title: str
    svg: str
    caption: str = ""

    @property
    def markup(self) -> Markup:
        # matplotlib's SVG writer escapes every text it draws (labels, layer names).
        return Markup(self.svg)


@dataclass
class RunView:
    """What one page (or one column of a comparison) shows of a run."""

    report: dict
    rows: list[dict] = field(default_factory=list)
    trace: dict | None = None
    header: dict | None = None
    run_dir: str | None = None
    label: str = ""
    has_checkpoints: bool = False


# The pictures a finding's evidence can be drawn with, by name (a rule lists the ones that
# show its claim: `rule(..., panels=(...))`). Each takes the run and returns a Chart, or None
# when the run holds nothing to draw.
def _loss_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.loss_chart(run.rows, t.get("losses"), eval_losses=t.get("eval_losses"))
    caption = ("Training loss at every step (faint) and its trend; dashed: the loss of the best constant prediction "
               "on the same batch, the level of a network that ignores its input.")
    if t.get("eval_losses"):
        caption += " Green: the losses the script computed without gradients (its evaluation), on watched steps."
    return svg and Chart("Loss", svg, caption)


def _accuracy_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.accuracy_chart(t.get("train_accuracy") or [], t.get("eval_losses") or [])
    return svg and Chart("Accuracy", svg, "Share of the samples whose predicted class is the target, on the watched "
                         "training batches and in the script's evaluation (its loss calls without gradients).")


def _predictions_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.predictions_chart(t.get("predictions") or [])
    if svg:
        return Chart("Predictions", svg, "Each sample's prediction against its target at the first and the last "
                     "watched step (up to 128 samples of a batch). Dotted: the targets' mean, where a network "
                     "that ignores its input puts every prediction.")
    svg = plots.classes_chart(t.get("classes") or [])
    return svg and Chart("Predicted classes", svg, "The share of the batch predicted as each class, against the "
                         "share that has it as the target.")


def _gradients_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    layers = [layer["name"] for layer in t.get("layers", [])]
    svg = plots.gradient_steps_chart(layers, t.get("grad_norms", []))
    return svg and Chart("Gradients over the steps", svg, "Gradient norm of a few weight matrices, input side to "
                         "output side, at each watched step.")


def _gradient_flow_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    layers = [layer["name"] for layer in t.get("layers", [])]
    svg = plots.per_layer_chart(layers, t.get("grad_norms", []), title="Gradient norm per layer",
                                ylabel="gradient norm")
    return svg and Chart("Gradient flow", svg, "Gradient norm of each weight matrix, input side first, at the "
                         "first and the last watched step.")


def _update_size_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    layers = [layer["name"] for layer in t.get("layers", [])]
    svg = plots.per_layer_chart(layers, t.get("update_ratios", []), title="Update / weight per layer",
                                ylabel="||Δw|| / ||w||")
    return svg and Chart("Update size", svg, "How far one optimizer step moved each weight matrix, relative to "
                         "its size.")


def _updates_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.update_ratio_chart(t.get("update_ratio") or [])
    return svg and Chart("Update size over the steps", svg, "How far each watched step moved the optimizer's "
                         "parameters, relative to their size; shaded: the usual range.")


def _activations_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.activation_chart(t.get("activations", []))
    return svg and Chart("Activation health", svg, "Share of each activation's units that were zero (ReLU) or "
                         "saturated (tanh, sigmoid) for every sample of the batch.")


def _learning_rate_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.lr_chart(run.rows)
    return svg and Chart("Learning rate", svg, "Each parameter group's learning rate as each step used it.")


def _overfit_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.overfit_chart(checkup.get("overfit") or [])
    return svg and Chart("Overfit ladder", svg, "A network that can learn drives the loss on one or two samples "
                         "close to zero.")


def _baselines_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.baselines_chart(checkup.get("baselines") or [], checkup.get("network"))
    return svg and Chart("Baselines", svg)


def _lr_range_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.lr_range_chart(checkup.get("lr_range") or {})
    return svg and Chart("Learning-rate range", svg)


def _optimizers_panel(run: RunView, t: dict, checkup: dict) -> Chart | None:
    svg = plots.optimizers_chart(checkup.get("optimizers") or [])
    return svg and Chart("Optimizers", svg)


PANELS = {"loss": _loss_panel, "accuracy": _accuracy_panel, "predictions": _predictions_panel,
          "gradients": _gradients_panel, "gradient_flow": _gradient_flow_panel, "update_size": _update_size_panel, "updates": _updates_panel,
          "activations": _activations_panel, "learning_rate": _learning_rate_panel, "overfit": _overfit_panel,
          "baselines": _baselines_panel, "lr_range": _lr_range_panel, "optimizers": _optimizers_panel}
# The page's overview of a run, and of a checkup.
RUN_PANELS = ("loss", "accuracy", "predictions", "gradient_flow", "update_size", "activations", "learning_rate")
# A checkup's: the panel each experiment declares (`checkup/units.py`), in the order they ran.
CHECKUP_PANELS = tuple(unit.panel for unit in EXPERIMENTS if unit.panel)


def checkup_sections(checkup: dict | None) -> dict:
    """The checkup section's summary rows and tables: each experiment's own (its unit's hooks)."""
    ck = checkup or {}
    return {"checkup_rows": [row for unit in EXPERIMENTS for row in unit.html_rows(ck)],
            "checkup_tables": [t for t in (unit.html_table(ck) for unit in EXPERIMENTS) if t is not None]}


def panels(run: RunView, names) -> list[Chart]:
    """The charts of the named panels that have something to show, in order."""
    t, checkup = run.trace or {}, run.report.get("checkup") or {}
    drawn = [PANELS[name](run, t, checkup) for name in dict.fromkeys(names) if name in PANELS]
    return [c for c in drawn if c]


def _rule_panels(code: str) -> tuple[str, ...]:
    from unstuck.rules import REGISTRY
    rule = REGISTRY.get(code)
    return rule.panels if rule is not None else ()


def _evidence(run: RunView, group: Folded[dict]) -> list[Chart]:
    """A root cause's evidence: the pictures its rule declares, then those of what follows
    from it, each once."""
    names = [name for f in [group.root] + [f for _, f in group.consequences] for name in _rule_panels(f["rule"])]
    return panels(run, names)


def _headline(report: dict) -> tuple[str, str]:
    """(css class, text) restating what the report holds."""
    shown = [f for f in report.get("findings", []) if f.get("severity") != "info"]
    steps = report.get("steps_observed", 0)
    if shown:
        top = shown[0]
        return top.get("severity", "warning"), f"{top.get('title', '')}"
    if report.get("script_error"):
        return "error", f"The script failed: {report['script_error']}"
    if not steps:
        return "warning", "No training step was observed: nothing to judge."
    return "ok", f"No problem found in {steps} observed training step(s)."


def _view(f: dict) -> dict:
    view = dict(f)
    view["code"] = _source_line(f.get("location"))
    view["shows_at_code"] = _source_line(f.get("shows_at"))
    confirmation = f.get("confirmation")
    if confirmation:
        from unstuck.report.terminal import confirmation_text
        view["replay_line"] = confirmation_text(confirmation)
        view["replay_svg"] = Markup(plots.replay_chart(confirmation) or "")
    return view


def _finding_views(report: dict) -> tuple[list[Folded[dict]], list[dict]]:
    """The diagnosis folded (each root cause numbered, what follows from it under it) and the
    `info` remarks."""
    findings = [_view(f) for f in report.get("findings", [])]
    return fold_dicts(findings), [f for f in findings if f.get("severity") == "info"]


def _run_context(run: RunView) -> dict:
    report = run.report
    groups, infos = _finding_views(report)
    css, headline = _headline(report)
    losses = [r["loss"] for r in run.rows if isinstance(r.get("loss"), (int, float)) and math.isfinite(r["loss"])]
    checkup = report.get("checkup") or None
    return {
        "run": run, "report": report, "groups": groups, "infos": infos, "headline": headline,
        "headline_class": css, "summary": report.get("summary") or {}, "charts": panels(run, RUN_PANELS),
        "evidence": {g.number: _evidence(run, g) for g in groups},
        "checkup": checkup, "checkup_charts": panels(run, CHECKUP_PANELS) if checkup else [],
        **checkup_sections(checkup),
        "rules_not_run": [r for r in report.get("rules", []) if r.get("status") in ("skipped", "errored")],
        "consequences": sum(len(g.consequences) for g in groups), "notes": report.get("notes") or [],
        "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
        "loss_min": min(losses) if losses else None, "rows": len(run.rows),
        "downsampled": bool((run.header or {}).get("downsampled")),
    }


def render_html(run: RunView) -> str:
    """The page of one run."""
    ctx = _run_context(run)
    return environment().get_template("report.html.j2").render(ctx=ctx, **ctx)


def render_compare_html(a: RunView, b: RunView) -> str:
    """Two runs side by side: findings, summaries, and their losses on one chart."""
    chart = plots.compare_loss_chart([(a.label or "A", a.rows), (b.label or "B", b.rows)])
    return environment().get_template("compare.html.j2").render(
        runs=[_run_context(a), _run_context(b)],
        chart=Chart("Loss", chart, "Both runs' training loss over the optimizer steps.") if chart else None)


def notebook_html(report) -> str:
    """The report as a notebook shows it under a cell: the page in an iframe (its styles and
    scripts stay inside), with the headline above it as plain HTML."""
    from unstuck.report.terminal import headline
    page = report.to_html()
    title = escape(headline(report))
    return (f'<div class="unstuck-report"><p><b>unstuck</b>: {title}</p>'
            f'<iframe srcdoc="{escape(page, quote=True)}" style="width:100%;height:640px;border:1px solid #ddd" '
            'sandbox=""></iframe></div>')


def write_html(path: str, text: str) -> None:
    from unstuck.logbook.atomic import atomic_write_text
    atomic_write_text(path, text)
