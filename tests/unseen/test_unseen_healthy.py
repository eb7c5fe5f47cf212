"""The unseen hard-healthy corpus (`tests/unseen/healthy/`, written apart from the rules: target
networks, SWA, probes, ensembles, hand-written optimisers, RL, flows, diffusion, MoE, CTC, NLL
families, imbalanced losses, parametrizations ...). Checked like the hard-healthy corpus (see
`tests/healthy/corpus.py`): the same RESULT line and exit status with and without `unstuck run`,
no finding at warning level or above, no tool error, nothing of ours on stderr, and it learns."""
import os
from pathlib import Path

import pytest

from tests.healthy.corpus import load_manifest, run_corpus

pytestmark = pytest.mark.slow
FOLDER = Path(__file__).resolve().parent / "healthy"
CASES = load_manifest(FOLDER)
JOBS = int(os.environ.get("UNSTUCK_HEALTHY_JOBS", "2"))


@pytest.fixture(scope="module")
def outcomes(request):
    selected = [item.callspec.params["name"] for item in request.session.items
                if item.module.__name__ == __name__ and hasattr(item, "callspec")]
    return run_corpus(selected or list(CASES), jobs=JOBS, folder=FOLDER)


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=[pytest.mark.xfail(reason=s["xfail"], strict=True)]
                                               if s.get("xfail") else []) for n, s in CASES.items()])
def test_unseen_healthy_script_runs_unchanged_and_silent(name, outcomes):
    problems = outcomes[name].problems()
    assert not problems, "\n".join(problems)


def test_corpus_lists_at_least_30_scripts():
    assert len(CASES) >= 30
