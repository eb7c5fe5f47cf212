"""`unstuck checkup DATA.csv --target COLUMN`: read a table, check its integrity, and build a
Problem with a default network.

Integrity first: missing/NaN/infinite cells per column, constant columns, duplicate rows,
label counts, feature scales. Rows with non-finite cells are then dropped; numeric features
are standardised, categorical ones one-hot encoded (up to MAX_CATEGORIES values, wider
ones dropped); a non-numeric, boolean or small-integer target (at most
MAX_INTEGER_CLASSES distinct values) makes a classification task, any other a regression
with a standardised target. The default network is an MLP with two hidden layers of
HIDDEN ReLU units, trained with Adam (lr LR) on batches of BATCH_SIZE.
"""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from unstuck.checkup.problem import OptimizerSpec, Problem
from unstuck.checkup.results import Integrity

MAX_CATEGORIES = 50
STRAY_SHARE = 0.8  # a text column whose values are numbers at least this often: a few stray strings, said so
MAX_INTEGER_CLASSES = 10
HIDDEN = 64
LR = 1e-3
BATCH_SIZE = 128
MAX_ROWS = 20_000  # larger tables are subsampled (with a fixed seed) for the experiments


class TableError(ValueError):
    """A table the checkup cannot use; the message is one line for the user."""


def read_table(path: str):
    import pandas as pd
    if not os.path.isfile(path):
        raise TableError(f"no such file: {path}")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise TableError("reading Parquet needs pyarrow: pip install pyarrow") from exc
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep=None if ext in (".tsv", ".txt") else ",", engine="python"
                             if ext in (".tsv", ".txt") else "c")
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds of errors for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TableError(f"cannot read {path}: {first}") from exc
    return df


def is_table(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _classification(y) -> bool:
    import pandas as pd
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return True
    values = y.dropna().to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return bool(len(values)) and bool(np.all(values == np.round(values))) \
        and len(np.unique(values)) <= MAX_INTEGER_CLASSES


def integrity(df, target: str, classification: bool) -> Integrity:
    import pandas as pd
    info = Integrity(rows=len(df), columns=df.shape[1])
    for col in df.columns:
        s = df[col]
        bad = int(s.isna().sum())
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            bad += int(np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).sum())
            if col != target:
                info.feature_scales[str(col)] = float(s.replace([np.inf, -np.inf], np.nan).std())
        elif col != target:
            info.categorical.append(str(col))
            numbers = pd.to_numeric(s, errors="coerce")
            stray = s[numbers.isna() & s.notna()]
            if len(stray) and numbers[s.notna()].notna().mean() >= STRAY_SHARE:  # of the cells with a value
                info.stray_text[str(col)] = (int(len(stray)), str(stray.iloc[0]))
        if bad:
            info.nonfinite[str(col)] = bad
        if col != target and s.nunique(dropna=False) <= 1:
            info.constant_columns.append(str(col))
    info.duplicate_rows = int(df.duplicated().sum())
    if classification:
        info.label_counts = {str(k): int(v) for k, v in df[target].value_counts().items()}
    return info


def _mlp(d: int, out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, out))


def table_problem(path: str, target: str, seed: int = 0) -> tuple[Problem, Integrity]:
    import pandas as pd
    df = read_table(path)
    if df.shape[0] == 0:
        raise TableError(f"{path} has no rows")
    if target not in df.columns:
        cols = ", ".join(map(str, df.columns[:20]))
        raise TableError(f"no column {target!r} in {path} (columns: {cols})")
    if df.shape[1] < 2:
        raise TableError(f"{path} has no feature column besides {target!r}")
    classification = _classification(df[target])
    info = integrity(df, target, classification)
    numeric = df.select_dtypes(include=["number", "bool"]).astype(float)
    finite = np.isfinite(numeric.to_numpy()).all(axis=1) & df.notna().all(axis=1).to_numpy()
    df = df[finite]
    info.rows_dropped = int((~finite).sum())
    if len(df) < 10:
        raise TableError(f"{path} has fewer than 10 complete rows ({len(df)})")
    if len(df) > MAX_ROWS:
        df = df.sample(MAX_ROWS, random_state=seed)
    feats = df.drop(columns=[target])
    wide = [c for c in feats.columns if not pd.api.types.is_numeric_dtype(feats[c])
            and feats[c].nunique() > MAX_CATEGORIES]
    feats = feats.drop(columns=wide)
    info.dropped_columns = [str(c) for c in wide]
    feats = pd.get_dummies(feats, dtype=float)
    if feats.shape[1] == 0:
        raise TableError(f"{path} has no usable feature column")
    x = feats.to_numpy(dtype=np.float64)
    std = x.std(0)
    x = (x - x.mean(0)) / np.where(std > 0, std, 1.0)
    X = torch.tensor(x, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(X), generator=gen)  # rows in random order: rungs and folds are unbiased
    X = X[order]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        if classification:
            codes, classes = pd.factorize(df[target], sort=True)
            shown = ", ".join(f"{c!s}={i}" for i, c in enumerate(classes[:6])) + (", ..." if len(classes) > 6 else "")
            info.target_encoding = f"{len(classes)} classes, coded in sorted order ({shown})"
            y = torch.tensor(codes, dtype=torch.long)[order]
            model, loss_name, loss_call = _mlp(X.shape[1], max(2, len(classes))), "cross_entropy", F.cross_entropy
            tail = (max(2, len(classes)),)
        else:
            t = df[target].to_numpy(dtype=np.float64)
            info.target_encoding = f"standardised (mean {t.mean():.4g}, std {t.std():.4g})"
            t = (t - t.mean()) / (t.std() or 1.0)
            y = torch.tensor(t, dtype=torch.float32)[order].unsqueeze(1)
            model, loss_name, loss_call = _mlp(X.shape[1], 1), "mse_loss", F.mse_loss
            tail = (1,)
    params = list(range(len(list(model.parameters()))))
    spec = OptimizerSpec(torch.optim.Adam, [(params, {"lr": LR})])
    problem = Problem(model=model, inputs=(X,), target=y, loss_name=loss_name, loss_call=loss_call, pred_tail=tail,
                      optimizer=spec, batch_size=BATCH_SIZE, source="table")
    return problem, info
