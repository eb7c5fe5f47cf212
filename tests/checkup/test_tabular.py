import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from unstuck.checkup.tabular import TableError, table_problem


def write(tmp_path, df, name="t.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return str(path)


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.standard_normal((n, 3)) * [1, 100, 0.01], columns=["a", "b", "c"])
    df["colour"] = rng.choice(["red", "green"], n)
    df["y"] = df["a"] * 3 + 500
    return df


def test_standardised_inputs_and_targets_with_one_hot_categories(tmp_path):
    p, info = table_problem(write(tmp_path, frame()), "y")
    x = p.inputs[0]
    assert x.shape == (200, 5)  # a, b, c, colour_green, colour_red
    assert np.allclose(x.mean(0).numpy(), 0, atol=1e-5) and np.allclose(x.std(0).numpy(), 1, atol=0.01)
    assert p.task == "regression" and abs(float(p.target.mean())) < 1e-4
    assert info.categorical == ["colour"] and info.feature_scales["b"] > 50


def test_string_labels_make_a_classification(tmp_path):
    df = frame()
    df["y"] = np.where(df["a"] > 0, "yes", "no")
    p, info = table_problem(write(tmp_path, df), "y")
    assert p.task == "classification" and p.n_classes() == 2
    assert set(info.label_counts) == {"yes", "no"}


def test_integrity_counts_nonfinite_cells_constant_columns_and_duplicates(tmp_path):
    df = frame()
    df.loc[:4, "a"] = np.nan
    df.loc[7, "b"] = np.inf
    df["k"] = 1.0
    df = pd.concat([df, df.iloc[[10, 11]]])
    p, info = table_problem(write(tmp_path, df), "y")
    assert info.nonfinite == {"a": 5, "b": 1}
    assert info.constant_columns == ["k"] and info.duplicate_rows == 2
    assert info.rows_dropped == 6 and p.n == 202 - 6


@pytest.mark.parametrize("content,target,message", [
    ("a,b\n", "b", "no rows"),
    ("a,b\n1,2\n", "z", "no column 'z'"),
])
def test_unusable_tables_are_one_line_errors(tmp_path, content, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(TableError, match=message):
        table_problem(str(path), target)


@pytest.mark.parametrize("content,args,message", [
    ("a,b\n", ["--target", "b"], "no rows"),
    ("a,b\n1,2\n3,4\n", ["--target", "z"], "no column"),
    ('a,b\n1,"2\n', ["--target", "b"], "cannot read"),
    ("a,b\n1,2\n", [], "--target COLUMN is required"),
])
def test_cli_exits_2_with_one_line(tmp_path, content, args, message):
    (tmp_path / "d.csv").write_text(content)
    r = subprocess.run([sys.executable, "-m", "unstuck", "checkup", "d.csv", *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_parquet_tables_are_read(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    frame().to_parquet(path)
    p, info = table_problem(str(path), "y")
    assert p.n == 200 and info.rows == 200


def test_every_coercion_of_the_table_is_said(tmp_path):
    from unstuck.report.checkup_terminal import reading
    df = frame()
    df["b"] = df["b"].round(1).astype(object)
    df.loc[[3, 9], "b"] = "unknown"  # a numeric column with two stray strings
    df.loc[:4, "a"] = np.nan
    df["y"] = np.where(df["c"] > 0, "yes", "no")
    _, info = table_problem(write(tmp_path, df), "y")
    assert info.stray_text == {"b": (2, "unknown")}
    lines = "\n".join(reading(info.to_json()))
    assert "'b' is mostly numbers but 2 value(s) are not (e.g. 'unknown')" in lines
    assert "left out" in lines  # 200 distinct values: too many to one-hot encode
    assert "one-hot encoded: colour." in lines
    assert "5 row(s) with missing or non-finite cells dropped" in lines
    assert "2 classes, coded in sorted order (no=0, yes=1)" in lines
    sparse = frame()
    sparse["d"] = np.where(np.arange(200) % 3 == 0, sparse["a"].round(2).astype(str), "")
    sparse.loc[5, "d"] = "?"  # mostly empty; of the cells with a value, one is not a number
    _, info = table_problem(write(tmp_path, sparse, "sparse.csv"), "y")
    assert info.stray_text.get("d") == (1, "?")
    _, clean = table_problem(write(tmp_path, frame(), "clean.csv"), "y")
    assert not clean.stray_text and "standardised" in clean.target_encoding
