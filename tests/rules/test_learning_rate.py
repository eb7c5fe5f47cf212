from helpers import causes, diagnose_code, first_cause

BASE = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(640, 8); y = (X[:, :2].sum(1) > 0).long()
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
opt = torch.optim.{opt}
{sched}
for epoch in range({epochs}):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward(); opt.step()
        {per_batch}
    {per_epoch}
"""


def run(tmp_path, opt, sched="", per_batch="", per_epoch="", epochs=8):
    return diagnose_code(tmp_path, BASE.format(opt=opt, sched=sched, per_batch=per_batch, per_epoch=per_epoch,
                                               epochs=epochs))


def test_learning_rate_far_too_high(tmp_path):
    report = run(tmp_path, "Adam(model.parameters(), lr=5.0)")
    assert first_cause(report) == "lr-too-high"


def test_learning_rate_far_too_low(tmp_path):
    report = run(tmp_path, "SGD(model.parameters(), lr=1e-7)")
    assert first_cause(report) == "lr-too-low"


def test_epoch_schedule_stepped_per_batch(tmp_path):
    report = run(tmp_path, "SGD(model.parameters(), lr=0.1)",
                 sched="sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)",
                 per_batch="sched.step()")
    assert first_cause(report) == "lr-schedule-collapse"


def test_reasonable_learning_rates_and_schedules_are_silent(tmp_path):
    assert causes(run(tmp_path, "Adam(model.parameters(), lr=1e-2)")) == []
    assert causes(run(tmp_path, "SGD(model.parameters(), lr=0.1, momentum=0.9)",
                      sched="sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)",
                      per_epoch="sched.step()")) == []
    # a cosine schedule sized in batches reaches its minimum only at the last step
    assert causes(run(tmp_path, "Adam(model.parameters(), lr=3e-3)",
                      sched="sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=80)",
                      per_batch="sched.step()")) == []


def test_linear_warmup_from_near_zero_is_silent(tmp_path):
    # a steep warm-up: the first steps move the weights by ~1e-6 of their norm, then the lr rises
    report = run(tmp_path, "SGD(model.parameters(), lr=0.05)",
                 sched="sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, ((s + 1) / 40) ** 4))",
                 per_batch="sched.step()", epochs=16)
    assert causes(report) == []


CONV_AE = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
xs = torch.linspace(-1, 1, 16)
gy, gx = torch.meshgrid(xs, xs, indexing="ij")
c = torch.rand(128, 2) - 0.5
images = torch.exp(-((gx - c[:, :1, None]) ** 2 + (gy - c[:, 1:, None]) ** 2) / 0.08).unsqueeze(1)
model = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                      nn.ReLU(), nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), nn.ReLU(),
                      nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1))
opt = torch.optim.{opt}
for step in range(16):
    batch = images[step % 4 * 32:(step % 4 + 1) * 32]
    opt.zero_grad(); F.mse_loss(model(batch), batch).backward(); opt.step()
"""


def test_learning_rate_far_too_low_for_a_conv_net(tmp_path):
    report = diagnose_code(tmp_path, CONV_AE.format(opt="SGD(model.parameters(), lr=1e-4, momentum=0.9)"))
    assert first_cause(report) == "lr-too-low"


def test_conv_net_with_a_working_learning_rate_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, CONV_AE.format(opt="Adam(model.parameters(), lr=3e-3)"))) == []


TWO_OPTIMIZERS = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 8); y = X[:, :1] * 2 - X[:, 1:2]; labels = (X[:, 2] > 0).long()
classifier = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
regressor = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
opt_cls = torch.optim.Adam(classifier.parameters(), lr=1e-3)
opt_reg = torch.optim.SGD(regressor.parameters(), lr={lr})
for epoch in range(6):
    for i in range(0, 512, 32):
        opt_cls.zero_grad()
        F.cross_entropy(classifier(X[i:i + 32]), labels[i:i + 32]).backward()
        opt_cls.step()
        opt_reg.zero_grad()
        F.mse_loss(regressor(X[i:i + 32]), y[i:i + 32]).backward()
        opt_reg.step()
"""


def test_two_optimizers_are_judged_apart_the_one_too_high_is_named(tmp_path):
    """Two models with their own losses and optimizers, stepping in turn: the regressor's SGD
    diverges, the classifier's Adam is fine. The finding names the regressor's optimizer."""
    report = diagnose_code(tmp_path, TWO_OPTIMIZERS.format(lr=0.5))
    assert first_cause(report) == "lr-too-high"
    assert report.findings[0].location.code.startswith("opt_reg = torch.optim.SGD")


def test_two_optimizers_with_very_different_healthy_lrs_are_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, TWO_OPTIMIZERS.format(lr=0.05))) == []


def test_epoch_milestones_passed_within_the_first_batches(tmp_path):
    # MultiStepLR's milestones are epochs (4 and 6 of 16) but it is stepped per batch: the lr is
    # 100x lower from step 6 of 160 on, far above 1e-4 of its start yet a schedule done at once
    report = run(tmp_path, "Adam(model.parameters(), lr=1e-2)",
                 sched="sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[4, 6], gamma=0.1)",
                 per_batch="sched.step()", epochs=16)
    assert "lr-schedule-collapse" in causes(report)


def test_epoch_milestones_stepped_per_epoch_and_warm_restarts_are_silent(tmp_path):
    assert causes(run(tmp_path, "Adam(model.parameters(), lr=1e-2)",
                      sched="sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[4, 6], gamma=0.1)",
                      per_epoch="sched.step()", epochs=16)) == []
    # cosine with warm restarts every 10 batches: near 0 at the end of each cycle, then back up
    assert causes(run(tmp_path, "SGD(model.parameters(), lr=0.1, momentum=0.9)",
                      sched="sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, eta_min=1e-6)",
                      per_batch="sched.step()", epochs=16)) == []
