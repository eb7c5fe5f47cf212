"""Learnability baselines: do simple models learn these samples at all, and does the network
do as well as they do?

scikit-learn models on the flattened samples, cross-validated (FOLDS folds, shuffled with a
fixed seed): a constant (mean / most frequent class), a linear model, a tree ensemble
(histogram gradient boosting) and k nearest neighbours. The network is trained from its
initial weights on the same folds (`checkup/network.py`). Scores are
higher-is-better: R^2 for regression, accuracy for classification.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from unstuck.checkup.problem import CLASSIFICATION, Deadline, Problem
from unstuck.checkup.units import Experiment, HtmlTable, fmt, num

log = logging.getLogger(__name__)

FOLDS = 3
MAX_OUTPUTS = 16  # regression targets with more values per sample (images, reconstructions) get no baselines
MAX_FEATURES = 256  # wider inputs are reduced with PCA for the tree ensemble and kNN
PCA_COMPONENTS = 64
NEIGHBOURS = 10


@dataclass
class BaselineScore:
    name: str
    score: float
    metric: str
    std: float = 0.0

    def to_json(self) -> dict:
        return {"name": self.name, "score": num(self.score), "metric": self.metric, "std": num(self.std)}


def baseline_data(problem: Problem) -> tuple[np.ndarray, np.ndarray] | str:
    """Flattened inputs and one label (or target vector) per sample, or why there are none."""
    x = torch.cat([t.reshape(t.shape[0], -1).double() for t in problem.inputs], 1).numpy()
    y = problem.target
    if problem.task == CLASSIFICATION:
        if problem.rows_per_sample != 1:
            return "several labels per sample"
        if y.is_floating_point():
            if problem.loss_name.startswith("binary") and y.numel() == y.shape[0]:
                y = (y.reshape(-1) > 0.5).long()
            elif y.dim() == 2 and problem.loss_name == "cross_entropy":
                y = y.argmax(1)
            else:
                return "several labels per sample"
        if y.dim() != 1:
            return "several labels per sample"
        return x, y.numpy()
    outputs = y[0].numel() * problem.rows_per_sample
    if outputs > MAX_OUTPUTS:
        return f"{outputs} target values per sample (a reconstruction or a dense output), more than {MAX_OUTPUTS}"
    flat = y.reshape(y.shape[0], -1).double().numpy()
    if flat.shape[1] <= x.shape[1] and any(np.allclose(flat, x[:, i:i + flat.shape[1]], atol=1e-6)
                                           for i in range(0, x.shape[1] - flat.shape[1] + 1, flat.shape[1])):
        return "the targets are the inputs (a reconstruction): a baseline would copy them"
    return x, y.reshape(y.shape[0], -1).double().numpy().squeeze(1) if y[0].numel() == 1 \
        else y.reshape(y.shape[0], -1).double().numpy()


def folds(problem: Problem, data) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold, StratifiedKFold
    x, y = data
    if problem.task == CLASSIFICATION:
        counts = np.bincount(y - y.min()) if len(y) else np.array([0])
        if counts[counts > 0].min() >= FOLDS:
            return list(StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y))
    return list(KFold(FOLDS, shuffle=True, random_state=0).split(x))


def _models(classification: bool, wide: bool) -> list[tuple[str, object]]:
    from sklearn.decomposition import PCA
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def reduce():
        return [PCA(PCA_COMPONENTS, random_state=0)] if wide else []

    # cheapest first: under a short budget (the data check of `unstuck run`) the fast ones finish
    if classification:
        return [("constant", DummyClassifier(strategy="most_frequent")),
                ("linear", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
                ("kNN", make_pipeline(StandardScaler(), *reduce(), KNeighborsClassifier(NEIGHBOURS))),
                ("boosted trees", make_pipeline(*reduce(), HistGradientBoostingClassifier(random_state=0)))]
    return [("constant", DummyRegressor()),
            ("linear", make_pipeline(StandardScaler(), Ridge(alpha=1.0))),
            ("kNN", make_pipeline(StandardScaler(), *reduce(), KNeighborsRegressor(NEIGHBOURS))),
            ("boosted trees", make_pipeline(*reduce(), HistGradientBoostingRegressor(random_state=0)))]


def run_baselines(problem: Problem, data, splits, deadline: Deadline | None = None,
                  progress=None) -> list[BaselineScore]:
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, r2_score
    x, y = data
    classification = problem.task == CLASSIFICATION
    metric = "accuracy" if classification else "r2"
    out = []
    multi = (not classification) and y.ndim == 2
    for name, model in _models(classification, x.shape[1] > MAX_FEATURES):
        if deadline is not None and deadline.over():
            break
        if multi and name == "boosted trees":
            from sklearn.multioutput import MultiOutputRegressor
            model = MultiOutputRegressor(model)
        scores = []
        for tr, te in splits:
            if deadline is not None and deadline.over():
                scores = []  # cut short: no score from fewer folds
                break
            try:
                m = clone(model).fit(x[tr], y[tr])
                pred = m.predict(x[te])
            except ValueError as exc:  # e.g. one class only in a fold
                log.debug("baseline %s failed: %s", name, exc)
                break
            scores.append(accuracy_score(y[te], pred) if classification else r2_score(y[te], pred))
        if scores:
            out.append(BaselineScore(name=name, score=float(np.mean(scores)), metric=metric,
                                     std=float(np.std(scores))))
        if progress:
            progress()
    return out


class BaselinesUnit(Experiment):
    key = "baselines"
    share = 0.15
    panel = "baselines"

    def prepare(self, ctx):
        data = baseline_data(ctx.problem)
        if isinstance(data, str):
            return f"no per-sample baseline: {data}"
        if len(data[1]) < 3 * FOLDS:
            return f"only {len(data[1])} samples captured"
        ctx.prepared[self.key] = data, folds(ctx.problem, data)
        return None

    def run(self, ctx, deadline):
        data, ctx.splits = ctx.prepared[self.key]
        return run_baselines(ctx.problem, data, ctx.splits, deadline, progress=ctx.bar("baselines", 4))

    def empty(self):
        return []

    def store(self, results, value):
        super().store(results, value)
        const = [b.score for b in results.baselines if b.name == "constant"]
        results.constant_score = const[0] if const else None

    def terminal(self, ck):
        from rich.table import Table
        from rich.text import Text
        if not ck.get(self.key):
            return []
        t = Table(title="Baselines, cross-validated (higher is better)", title_justify="left")
        t.add_column("model")
        t.add_column("score", justify="right")
        for b in ck[self.key]:
            t.add_row(b["name"], f"{b['metric']} {fmt(b.get('score'))} ± {fmt(b.get('std'), '.2g')}")
        net = ck.get("network")  # the network on the same folds, for comparison
        if net:
            t.add_row(Text(f"network ({net.get('optimizer')})", style="bold"), f"{net['metric']} {fmt(net.get('score'))}")
            if net.get("best_optimizer") and net.get("best_optimizer") != net.get("optimizer"):
                t.add_row(Text(f"network ({net['best_optimizer']})", style="bold"),
                          f"{net['metric']} {fmt(net.get('best_score'))}")
        return [t]

    def html_table(self, ck):
        if not ck.get(self.key):
            return None
        rows = [([b.get("name"), b.get("score"), b.get("metric")], False) for b in ck[self.key]]
        net = ck.get("network")
        if net:
            rows.append((["network", net.get("score"), net.get("metric")], True))
        return HtmlTable("Baselines", ["model", "score", "metric"], rows)


UNIT = BaselinesUnit()
