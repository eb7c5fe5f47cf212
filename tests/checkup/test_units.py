"""The experiments as units (checkup/units.py, the registry in checkup/results.py), and the JSON
form of the checkup, which other programs read: its keys and value types must stay as they were
before the experiments became units (checkup_shape.json, captured from the code before)."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers_checkup import classification_problem, regression_problem

from unstuck.checkup import checkup_table, run_experiments
from unstuck.checkup.results import EXPERIMENTS, CheckupResults
from unstuck.checkup.units import Experiment

SHAPES = json.loads((Path(__file__).parent / "checkup_shape.json").read_text())


def shape(v):
    """Keys and value types of a JSON value; a list by its distinct element shapes."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        shapes = [shape(x) for x in v]
        return [s for i, s in enumerate(shapes) if s not in shapes[:i]]
    return {type(None): "null", bool: "bool", int: "int", float: "float", str: "str"}[type(v)]


def test_every_unit_has_a_typed_field_of_its_key_and_a_distinct_key():
    fields = {f.name for f in dataclasses.fields(CheckupResults)}
    keys = [unit.key for unit in EXPERIMENTS]
    assert len(set(keys)) == len(keys)
    for unit in EXPERIMENTS:
        assert isinstance(unit, Experiment) and unit.key in fields
        assert unit.share is None or 0 < unit.share <= 1
        assert type(unit).run is not Experiment.run, f"{unit.key} does not implement run()"


def test_renderers_read_only_the_json_form_and_skip_what_is_absent():
    for unit in EXPERIMENTS:
        assert unit.terminal({}) == [] and unit.html_rows({}) == [] and unit.html_table({}) is None


@pytest.mark.slow
@pytest.mark.parametrize("case", ["regression", "classification", "tiny"])
def test_checkup_json_keeps_its_keys_and_types(case):
    problem = {"regression": regression_problem, "classification": classification_problem,
               "tiny": lambda: regression_problem(n=6)}[case]()
    ck = run_experiments(problem, budget=None, progress=False).to_json()
    assert shape(ck) == SHAPES[case]


@pytest.mark.slow
def test_table_checkup_json_keeps_its_keys_and_types(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((120, 3)), columns=list("abc"))
    df["y"] = df["a"] * 2 + 0.1 * rng.standard_normal(120)
    df.loc[3, "b"] = np.nan
    df.to_csv(tmp_path / "t.csv", index=False)
    ck = checkup_table(str(tmp_path / "t.csv"), "y", budget=None, progress=False).checkup
    assert shape(ck) == SHAPES["table"]
