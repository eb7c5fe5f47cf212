"""Run tiny training programs in-process under observation."""
from __future__ import annotations

import textwrap

from unstuck.api import observe_and_diagnose

REPORTED = ("error", "warning")


def diagnose_code(tmp_path, code: str, args=(), name: str = "train.py", **options):
    script = tmp_path / name
    script.write_text(textwrap.dedent(code))
    report, trace = observe_and_diagnose(str(script), list(args), **options)
    return report


def causes(report) -> list[str]:
    """Causes reported at warning level or above, in ranked order."""
    return [f.cause for f in report.findings if f.severity.value in REPORTED]


def first_cause(report) -> str | None:
    return next((f.cause for f in report.findings if f.severity.value in REPORTED and f.kind.value == "cause"), None)


# A small regression data set and training loop shared by many programs; `{loss}` and
# friends are filled in by each test.
REGRESSION = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(256, 5)
y = X[:, :1] * 2 - X[:, 1:2] + 0.1 * torch.randn(256, 1)
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
"""
