"""The hard-healthy corpus (see corpus.py): every script gives the same RESULT line and exit
status with and without `unstuck run`, no finding at warning level or above, no tool error,
nothing of ours on stderr, and learns. Cases marked `xfail` in the manifest fail for a known
reason owned elsewhere; they are strict, so a fix shows up as XPASS until the mark is removed.

The selected scripts run once per session, two at a time, in subprocesses."""
import os

import pytest

from tests.healthy.corpus import load_manifest, run_corpus

pytestmark = pytest.mark.slow
CASES = load_manifest()
JOBS = int(os.environ.get("UNSTUCK_HEALTHY_JOBS", "2"))
RAN = {}  # name -> Outcome, for the summary line (conftest.py prints it)


def _param(name, spec):
    marks = [pytest.mark.xfail(reason=spec["xfail"], strict=True)] if spec.get("xfail") else []
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="session")
def outcomes(request):
    selected = [item.callspec.params["name"] for item in request.session.items
                if item.module.__name__ == __name__ and hasattr(item, "callspec")]
    result = run_corpus(selected or list(CASES), jobs=JOBS)
    RAN.update(result)
    return result


@pytest.mark.parametrize("name", [_param(n, s) for n, s in CASES.items()])
def test_healthy_script_runs_unchanged_and_silent(name, outcomes):
    problems = outcomes[name].problems()
    assert not problems, "\n".join(problems)


def test_corpus_lists_at_least_30_scripts():
    assert len(CASES) >= 30
    for name in CASES:
        assert os.path.exists(os.path.join(os.path.dirname(__file__), name)), name
