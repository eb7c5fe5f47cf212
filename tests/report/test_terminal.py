"""The terminal's one line under a root cause that was replayed with its fix."""
from unstuck.report.terminal import confirmation_text


def _confirmation(status, reason, written, fixed):
    return {"status": status, "reason": reason, "fix_applied": "softmax removed", "steps": 200,
            "held_back": 64, "as_written": written, "with_fix": fixed}


def test_a_score_decision_quotes_both_scores():
    c = _confirmation("confirmed", "held-back score 0.31 as written, 0.92 with the fix",
                      {"score": 0.31, "loss": 1.9}, {"score": 0.92, "loss": 0.2})
    assert confirmation_text(c) == ("Confirmed by replay: with the fix (softmax removed): held-back score 0.92 "
                                    "after 200 steps; as written: 0.31.")


def test_a_loss_decision_quotes_the_fixed_loss_on_both_models_not_the_tied_scores():
    # accuracy at its ceiling in both replays: the fixed loss on both models decided
    c = _confirmation("confirmed", "held-back loss (the fixed loss, on both models) 0.92 as written, 0.4 with the fix",
                      {"score": 0.92, "loss": 2.1, "loss_as_fixed": 0.92}, {"score": 0.92, "loss": 0.4})
    text = confirmation_text(c)
    assert "held-back loss 0.4 after 200 steps; as written: 0.92." in text
    assert "score" not in text


def test_without_a_score_the_losses_are_quoted_and_a_miss_says_the_diagnosis_may_be_wrong():
    c = _confirmation("not-confirmed", "held-back loss 1 as written, 0.95 with the fix: no clear gain",
                      {"score": None, "loss": 1.0}, {"score": None, "loss": 0.95})
    text = confirmation_text(c)
    assert text.startswith("Not confirmed by replay: with the fix (softmax removed): held-back loss 0.95")
    assert "as written: 1." in text and "may be wrong" in text


def test_not_tried_says_why():
    assert confirmation_text({"status": "not-tried", "reason": "nothing was captured"}) == \
        "Replay not tried (nothing was captured)."
