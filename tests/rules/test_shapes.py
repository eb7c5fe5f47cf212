import pytest
from helpers import REGRESSION, causes, diagnose_code, first_cause

LOOP = """
for step in range(60):
    idx = torch.randint(0, 256, (32,))
    xb, yb = X[idx], y[idx]
    pred = model(xb)
    {loss}
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


@pytest.mark.parametrize("loss", [
    "loss = F.mse_loss(pred, yb.squeeze(-1))",                       # built-in, target [N]
    "loss = nn.MSELoss()(pred.squeeze(-1), yb)",                      # built-in module, prediction [N]
    "loss = ((pred - yb.squeeze(-1)) ** 2).mean()",                   # hand-written squared error
    "loss = (yb.squeeze(-1) - pred).abs().sum() / len(idx)",          # target first, L1, summed
    "loss = torch.mean(torch.ones(32) * (pred - yb[:, 0]).pow(2))",   # weighted
    "loss = (pred - yb.view(-1)).pow(2).mean(dim=0).sum()",            # partial reduction first
    "loss = ((pred.squeeze(-1)[None, :] - yb) ** 2).mean()",          # one new axis, the other natural
])
def test_broadcast_in_loss_is_an_error(tmp_path, loss):
    report = diagnose_code(tmp_path, REGRESSION + LOOP.format(loss=loss))
    assert first_cause(report) == "loss-broadcast"
    f = report.findings[0]
    assert f.severity.value == "error"
    assert f.location.file.endswith("train.py") and "loss =" in f.location.code
    assert f.evidence_dict["result_shape"] == (32, 32)


@pytest.mark.parametrize("loss", [
    "loss = F.mse_loss(pred, yb)",
    "loss = ((pred - yb) ** 2).mean()",
    # keepdim normalisation, a scalar offset and a mask broadcast as intended
    "loss = (((pred - pred.mean(0, keepdim=True)) - (yb - yb.mean(0, keepdim=True))) ** 2).mean() + 0.0 * pred.sum()",
    "loss = ((pred - yb) ** 2 * (torch.arange(32) % 2 == 0).float().unsqueeze(1)).mean()",
    # pairwise distances between two different sets
    "loss = F.mse_loss(pred, yb) + 1e-3 * ((xb[:, None, :] - model[0].weight[None, :5, :]) ** 2).mean()",
    # an RBF-kernel MMD term: a deliberate table of all pairs, both axes inserted explicitly
    "z = torch.randn(32, 1); loss = F.mse_loss(pred, yb) + "
    "0.1 * torch.exp(-((pred[:, None, :] - z[None, :, :]) ** 2).sum(-1)).mean()",
    "z = torch.randn(32); loss = F.mse_loss(pred, yb) + 0.1 * (pred.squeeze(-1).unsqueeze(1) * z.unsqueeze(0)).mean()",
])
def test_intended_broadcasting_is_silent(tmp_path, loss):
    report = diagnose_code(tmp_path, REGRESSION + LOOP.format(loss=loss))
    assert "loss-broadcast" not in causes(report)
