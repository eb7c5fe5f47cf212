"""Freezing by attribute assignment is found in the user's source after the run."""
import textwrap

from helpers import REGRESSION
from unstuck.api import observe_and_diagnose
from unstuck.observe.assignments import freeze_assignments, is_user_file

SOURCE = """
import torch
def freeze(model, flag):
    for p in model.parameters():
        p.requires_grad = False
    model.head.weight.requires_grad = flag        # not a constant: not counted
    setattr(model.body.bias, "requires_grad", 0)
    model.head.bias.requires_grad = True
    model.requires_grad_(False)                   # a call: seen at run time instead
x = y = None
model.fc.requires_grad = False
"""


def test_assignments_of_false_are_found_with_their_function(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    found = freeze_assignments(str(path))
    assert [(c.site.line, c.site.function, c.site.code, c.how, c.elems) for c in found] == [
        (5, "freeze", "p.requires_grad = False", "assignment", 0),
        (7, "freeze", 'setattr(model.body.bias, "requires_grad", 0)', "assignment", 0),
        (11, "<module>", "model.fc.requires_grad = False", "assignment", 0),
    ]


def test_unreadable_or_broken_files_give_nothing(tmp_path):
    (tmp_path / "bad.py").write_text("def (:\n")
    assert freeze_assignments(str(tmp_path / "bad.py")) == []
    assert freeze_assignments(str(tmp_path / "missing.py")) == []


def test_library_files_are_not_read():
    import torch.nn.modules.module as m
    assert not is_user_file(m.__file__) and not is_user_file(textwrap.__file__)


def _freeze_calls(tmp_path, code):
    script = tmp_path / "train.py"
    script.write_text(REGRESSION + code + """
for step in range(5):
    opt.zero_grad(); F.mse_loss(model(X), y).backward(); opt.step()
""")
    return observe_and_diagnose(str(script))[1].freeze_calls


def test_the_source_is_read_only_when_a_watched_parameter_ended_frozen(tmp_path):
    unfrozen = _freeze_calls(tmp_path, """
if False:
    model[0].weight.requires_grad = False
""")
    assert unfrozen == []
    frozen = _freeze_calls(tmp_path, """
for p in model[0].parameters():
    p.requires_grad = False
""")
    assert [(c.site.file.endswith("train.py"), c.site.code, c.how) for c in frozen] == [
        (True, "p.requires_grad = False", "assignment")]
