"""Learnability baselines: do simple models learn these samples at all, and does the network
do as well as they do?

scikit-learn models on the flattened samples, cross-validated (FOLDS folds, shuffled with a
fixed seed): a constant (mean / most frequent class), a linear model, a tree ensemble
(histogram gradient boosting) and k nearest neighbours. The network is trained from its
initial weights on the same folds for NET_STEPS steps with the user's optimizer and, when
one was found better, with that one too; it is scored on the held-out fold. Scores are
higher-is-better: R^2 for regression, accuracy for classification.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch

from unstuck.checkup.problem import CLASSIFICATION, Deadline, Problem, generator, train
from unstuck.checkup.results import BaselineScore, NetworkScore

log = logging.getLogger(__name__)

FOLDS = 3
NET_STEPS = 400
MAX_OUTPUTS = 16  # regression targets with more values per sample (images, reconstructions) get no baselines
MAX_FEATURES = 256  # wider inputs are reduced with PCA for the tree ensemble and kNN
PCA_COMPONENTS = 64
NEIGHBOURS = 10


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


def network_score(problem: Problem, splits, settings: list[tuple[str, Callable]], deadline: Deadline | None = None,
                  steps: int = NET_STEPS, until: float | None = None, progress=None) -> NetworkScore:
    """The network's held-out score for each (name, make(model) -> optimizer) in turn; the
    first setting is the user's. Stops once a setting scores at least `until`."""
    metric = "accuracy" if problem.task == CLASSIFICATION else "r2"
    result = NetworkScore(score=None, metric=metric, optimizer=settings[0][0], steps=steps)
    for k, (name, make) in enumerate(settings):
        scores = []
        for i, (tr, te) in enumerate(splits):
            if deadline is not None and deadline.over():
                break
            tr_t, te_t = torch.as_tensor(tr), torch.as_tensor(te)
            model = problem.fresh()
            (xi, yi), (xo, yo) = problem.subset(tr_t), problem.subset(te_t)
            try:
                train(problem, model, make(model), xi, yi, steps, generator(100 + i), deadline)
                s = problem.score(model, xo, yo)
            except RuntimeError as exc:
                log.debug("network training with %s failed: %s", name, exc)
                s = None
            if deadline is not None and deadline.over():
                break  # cut short by the time budget: no score for this setting
            scores.append(-np.inf if s is None else s)
        if scores and len(scores) == len(splits):
            score = float(np.mean(scores))
            if not np.isfinite(score):
                score = None
            if k == 0:
                result.score = score
            if score is not None and (result.best_score is None or score > result.best_score):
                result.best_score, result.best_optimizer = score, name
        if progress:
            progress()
        if until is not None and result.best_score is not None and result.best_score >= until:
            break
    return result
