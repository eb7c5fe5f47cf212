"""Every view folds findings the same way: root causes numbered, consequences under them."""
from unstuck.report.folding import because, fold_dicts


def finding(cause, caused_by=(), severity="warning", line=1, shows_at=None):
    f = {"rule": "XX001", "cause": cause, "kind": "cause", "severity": severity, "title": f"{cause} title",
         "message": f"{cause} seen", "location": {"file": "train.py", "line": line, "function": "<module>"},
         "fix": "", "why": "", "explains": [], "caused_by": list(caused_by)}
    if shows_at:
        f["shows_at"] = {"file": "train.py", "line": shows_at, "function": "step"}
    return f


# Two root causes; lr-too-high follows from the first, exploding-gradients from lr-too-high (a
# chain), loss-plateau from both roots.
REPORT = {"steps_observed": 50, "findings": [
    finding("missing-zero-grad", severity="error", line=7, shows_at=12),
    finding("unscaled-inputs", line=3),
    finding("lr-too-high", ["missing-zero-grad"], line=5),
    finding("exploding-gradients", ["lr-too-high"], line=12),
    finding("loss-plateau", ["missing-zero-grad", "unscaled-inputs"], line=11),
    finding("nonfinite-values", severity="info"),
]}


def test_consequences_sit_under_their_first_root_with_every_root_number():
    groups = fold_dicts(REPORT["findings"])
    assert [(g.number, g.root["cause"]) for g in groups] == [(1, "missing-zero-grad"), (2, "unscaled-inputs")]
    assert [(n, f["cause"]) for n, f in groups[0].consequences] == [
        ((1,), "lr-too-high"), ((1,), "exploding-gradients"), ((1, 2), "loss-plateau")]
    assert groups[1].consequences == []
    assert because((1, 2)) == "because of 1, 2"


def test_a_consequence_whose_root_is_missing_is_shown_as_a_root():
    groups = fold_dicts([finding("lr-too-high", ["missing-zero-grad"])])
    assert [(g.number, g.root["cause"], g.consequences) for g in groups] == [(1, "lr-too-high", [])]
