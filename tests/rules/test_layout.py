"""LS007 view-as-transpose and LS008 sequence-axis-swapped: broken programs, their healthy
twins, and the hand-built traces at the thresholds."""
import pytest
from helpers import causes, diagnose_code, first_cause

from tests.rules.tracebuild import fires, ls007, ls008

SEQUENCES = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
N, T = 200, 12
X = torch.randn(N, T, 3); y = (X[:, :, 0].sum(1) > 0).long()
"""


def train(body: str, params: str, steps: int = 24, batch: int = 48) -> str:
    """A loop over batches of `batch` sequences ([B, T, F]); the last batch of an epoch is shorter."""
    return SEQUENCES + f"""
opt = torch.optim.Adam({params}, 1e-2)
for step in range({steps}):
    i = step * {batch} % N
    xb, yb = X[i:i + {batch}], y[i:i + {batch}]
""" + "\n".join("    " + ln for ln in body.strip().splitlines()) + """
    loss = F.cross_entropy(logits, yb)
    opt.zero_grad(); loss.backward(); opt.step()
"""


LSTM = "rnn = nn.LSTM(3, 16{flag}); fc = nn.Linear(16, 2)\n"
LSTM_PARAMS = "list(rnn.parameters()) + list(fc.parameters())"



@pytest.mark.parametrize("flag,body,bug", [
    ("", "out, _ = rnn(xb)\nlogits = fc(out[:, -1])", True),                      # [B, T, F] into time-major
    (", batch_first=True", "out, _ = rnn(xb)\nlogits = fc(out[:, -1])", False),
    ("", "out, _ = rnn(xb.transpose(0, 1))\nlogits = fc(out[-1])", False),          # really time-major
    (", batch_first=True", "out, _ = rnn(xb.transpose(0, 1).contiguous())\nlogits = fc(out[-1])", True),
])
def test_recurrent_layout(tmp_path, flag, body, bug):
    code = train(body, LSTM_PARAMS).replace("opt = torch.optim", LSTM.format(flag=flag) + "opt = torch.optim", 1)
    report = diagnose_code(tmp_path, code)
    if bug:
        assert first_cause(report) == "sequence-axis-swapped"
        f = report.findings[0]
        assert f.location.code.startswith("rnn = nn.LSTM") and "followed it" in f.message
    else:
        assert "sequence-axis-swapped" not in causes(report)


def test_attention_without_batch_first(tmp_path):
    head = "att = nn.MultiheadAttention(3, 1{flag}); fc = nn.Linear(3, 2)\n"
    body = "h, _ = att(xb, xb, xb)\nlogits = fc(h.mean(1))"
    for flag, bug in (("", True), (", batch_first=True", False)):
        code = train(body, "list(att.parameters()) + list(fc.parameters())").replace(
            "opt = torch.optim", head.format(flag=flag) + "opt = torch.optim", 1)
        assert ("sequence-axis-swapped" in causes(diagnose_code(tmp_path, code))) is bug


@pytest.mark.parametrize("line,bug", [
    ("x = xb.view(xb.size(1), xb.size(0), 3)", True),            # meant permute(1, 0, 2)
    ("x = xb.reshape(T, -1, 3)", True),
    ("x = xb.permute(1, 0, 2)", False),
    ("x = xb.transpose(0, 1).contiguous().view(T, -1, 3)", False),  # a view after a real transpose
])
def test_view_as_transpose(tmp_path, line, bug):
    body = f"{line}\nout, _ = rnn(x)\nlogits = fc(out[-1])"
    code = train(body, LSTM_PARAMS, batch=40).replace(
        "opt = torch.optim", LSTM.format(flag="") + "opt = torch.optim", 1)
    report = diagnose_code(tmp_path, code)
    if bug:
        assert first_cause(report) == "view-as-transpose"
        assert report.findings[0].location.code == line
    else:
        assert "view-as-transpose" not in causes(report)


def test_flattening_splitting_and_head_reshapes_are_silent(tmp_path):
    code = SEQUENCES + """
proj = nn.Linear(3, 8); fc = nn.Linear(8 * 12, 2)
opt = torch.optim.Adam(list(proj.parameters()) + list(fc.parameters()), 1e-2)
for step in range(20):
    xb, yb = X[step * 40 % N:step * 40 % N + 40], y[step * 40 % N:step * 40 % N + 40]
    B = xb.size(0)
    h = proj(xb.reshape(B * T, 3)).view(B, T, 8)            # merge, then split back
    q = h.view(B, T, 2, 4).transpose(1, 2)                    # split heads, then move them
    att = torch.softmax(q @ q.transpose(-1, -2) / 2, -1) @ q  # [B, 2, T, 4]
    logits = fc(att.transpose(1, 2).reshape(B, -1))           # merge heads, flatten
    loss = F.cross_entropy(logits, yb)
    opt.zero_grad(); loss.backward(); opt.step()
"""
    assert causes(diagnose_code(tmp_path, code)) == []


def test_thresholds_on_built_traces():
    assert fires("LS007", ls007()) and not fires("LS007", ls007(ticks=(0,)))
    assert fires("LS008", ls008()) and not fires("LS008", ls008(ticks=(0,)))
    assert not fires("LS008", ls008(shape=(12, 32, 3)))           # time-major data, time-major layer
    assert not fires("LS008", ls008(shape=(32, 32, 3)))           # batch == time: no evidence
    assert not fires("LS008", ls008(shape=(32, 12, 3), batch_first=True))
