import pytest
from helpers import REGRESSION, causes, diagnose_code, first_cause

TRAIN = """
for step in range(40):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
    opt.zero_grad()
    loss = F.mse_loss(model(xb), yb)
    loss.backward()
    opt.step()
"""


def test_layers_in_a_plain_list(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(5, 16), nn.Linear(16, 16)]
        self.head = nn.Linear(16, 1)
    def forward(self, x):
        for b in self.blocks:
            x = torch.relu(b(x))
        return self.head(x)
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
""" + TRAIN)
    assert first_cause(report) == "params-not-optimized"
    f = report.findings[0]
    assert "Linear" in f.message and f.location.code.startswith("opt =")


def test_optimizer_built_for_an_older_model(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))   # re-created after opt
""" + TRAIN)
    assert first_cause(report) == "params-not-optimized"


def test_optimizer_built_before_unfreezing(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
for p in model[0].parameters():
    p.requires_grad = False
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
for p in model[0].parameters():
    p.requires_grad = True
""" + TRAIN)
    assert first_cause(report) == "params-not-optimized"


def test_frozen_backbone_with_trainable_head_is_silent(tmp_path):
    for opt_params in ("model[2].parameters()", "model.parameters()"):
        report = diagnose_code(tmp_path, REGRESSION + f"""
for p in model[0].parameters():
    p.requires_grad = False
opt = torch.optim.Adam({opt_params}, lr=1e-2)
""" + TRAIN)
        assert causes(report) == [], opt_params


def test_everything_frozen_by_mistake(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
for name, p in model.named_parameters():
    if "0" in name or True:
        p.requires_grad = False
model[2].bias.requires_grad = True
opt = torch.optim.SGD(model.parameters(), lr=0.1)
""" + TRAIN)
    assert first_cause(report) == "frozen-params"
    f = report.findings[0]
    assert f.location.code == "p.requires_grad = False" and f.location.line == 13
    assert f.shows_at.code.startswith("opt = torch.optim.SGD") and "by assignment" in f.message


def test_freezing_assignment_in_a_helper_module_is_the_line_to_edit(tmp_path):
    (tmp_path / "finetune.py").write_text(
        "def freeze_backbone(model):\n"
        "    for name, p in model.named_parameters():\n"
        "        if not name.startswith('head'):  # the head is model[2]: nothing is left\n"
        "            setattr(p, 'requires_grad', False)\n")
    report = diagnose_code(tmp_path, REGRESSION + """
from finetune import freeze_backbone
freeze_backbone(model)
model[2].bias.requires_grad_(True)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
""" + TRAIN)
    f = report.findings[0]
    assert f.cause == "frozen-params"
    assert (f.location.file.endswith("finetune.py"), f.location.line, f.location.function) == (
        True, 4, "freeze_backbone")


@pytest.mark.parametrize("cut", [
    "loss = torch.tensor(F.mse_loss(model(xb), yb).item(), requires_grad=True)",
    "loss = F.mse_loss(model(xb), yb).detach().requires_grad_(True)",
    "loss = F.mse_loss(torch.from_numpy(model(xb).detach().numpy()), yb).requires_grad_()",
])
def test_loss_rebuilt_without_history(tmp_path, cut):
    report = diagnose_code(tmp_path, REGRESSION + f"""
for step in range(30):
    xb, yb = X[:32], y[:32]
    opt.zero_grad()
    {cut}
    loss.backward()
    opt.step()
""")
    assert first_cause(report) == "detached-graph"
    assert report.findings[0].location.code == cut


def test_no_grad_forward_papered_over(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
for step in range(30):
    opt.zero_grad()
    with torch.no_grad():
        pred = model(X)
    loss = F.mse_loss(pred, y)
    loss.requires_grad_(True)
    loss.backward()
    opt.step()
""")
    assert first_cause(report) == "detached-graph"


@pytest.mark.parametrize("cut", ["h = model[0](xb).detach()", "h = model[0](xb).data"])
def test_part_of_the_model_cut_off(tmp_path, cut):
    report = diagnose_code(tmp_path, REGRESSION + f"""
for step in range(40):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
    opt.zero_grad()
    {cut}
    loss = F.mse_loss(model[2](torch.relu(h)), yb)
    loss.backward()
    opt.step()
""")
    assert first_cause(report) == "detached-graph"
    assert "`model.0`" in report.findings[0].message


def test_part_of_the_model_run_under_no_grad(tmp_path):
    # no .detach() anywhere: the first layer runs inside torch.no_grad(), its output feeds the rest
    report = diagnose_code(tmp_path, REGRESSION + """
for step in range(40):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
    opt.zero_grad()
    with torch.no_grad():
        h = torch.relu(model[0](xb))
    loss = F.mse_loss(model[2](h), yb)
    loss.backward()
    opt.step()
""")
    assert first_cause(report) == "detached-graph"
    assert "`model.0`" in report.findings[0].message and "no_grad" in report.findings[0].message


def test_a_parameters_data_used_in_a_custom_forward(tmp_path):
    # the cut is on the parameter itself (a leaf): `self.weight.data` inside the module's forward
    report = diagnose_code(tmp_path, """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(256, 8)
y = X[:, :1] * 2 - X[:, 1:2]

class MyLinear(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i) / i ** 0.5)
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x):
        return F.linear(x, self.weight.data, self.bias.detach())

model = nn.Sequential(MyLinear(8, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(40):
    loss = F.mse_loss(model(X), y)
    opt.zero_grad(); loss.backward(); opt.step()
""")
    assert first_cause(report) == "detached-graph"
    assert "`model.0.weight`" in report.findings[0].message or "`model.0`" in report.findings[0].message


def test_one_detach_line_in_a_loop_cuts_every_block_it_runs_on(tmp_path):
    # the same line cuts a different block at each turn of the loop: all of them are named
    report = diagnose_code(tmp_path, REGRESSION.replace(
        "model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))",
        "model = nn.ModuleList([nn.Linear(5, 16), nn.Linear(16, 16), nn.Linear(16, 16), nn.Linear(16, 1)])") + """
def forward(x):
    h = x
    for layer in model[:-1]:
        h = torch.relu(layer(h)).detach()
    return model[-1](h)

for step in range(40):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
    opt.zero_grad()
    loss = F.mse_loss(forward(xb), yb)
    loss.backward()
    opt.step()
""")
    assert first_cause(report) == "detached-graph"
    # the three cut blocks: (5*16 + 16) + 2 * (16*16 + 16) elements
    assert "(640 elements" in report.findings[0].message, report.findings[0].message


def test_an_ema_teacher_inside_the_model_is_updated_not_cut(tmp_path):
    # model.parameters() also hands the teacher to Adam; it runs under no_grad and never gets a
    # gradient, but the script moves it every step (EMA): it is not stuck
    report = diagnose_code(tmp_path, REGRESSION.replace("model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))", """
import copy

class MeanTeacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.student = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.teacher = copy.deepcopy(self.student)

    def forward(self, x):
        with torch.no_grad():
            t = self.teacher(x + 0.05 * torch.randn_like(x))
        return self.student(x), t

model = MeanTeacher()""") + """
for step in range(40):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
    s, t = model(xb)
    loss = F.mse_loss(s, yb)
    opt.zero_grad(); (loss + 0.5 * F.mse_loss(s, t)).backward(); opt.step()
    with torch.no_grad():
        for pt, ps in zip(model.teacher.parameters(), model.student.parameters()):
            pt.mul_(0.99).add_(ps, alpha=0.01)
""")
    assert "detached-graph" not in causes(report)


def test_a_teacher_nobody_updates_is_still_cut(tmp_path):
    # the same model without the EMA update: the teacher's parameters never move
    report = diagnose_code(tmp_path, REGRESSION.replace("model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))", """
class TwoTowers(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
        self.b = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        with torch.no_grad():
            h = self.b(x)
        return self.a(x) + h

model = TwoTowers()""") + TRAIN)
    assert first_cause(report) == "detached-graph"


def test_a_layer_whose_output_nobody_uses_is_silent(tmp_path):
    # WaveNet-style blocks each with a residual and a skip convolution: the last block's residual
    # output is computed and never used, so no backward reaches it; the only cut is the logging's
    # `loss.detach()`, which has every other layer behind it, not this one
    report = diagnose_code(tmp_path, """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
T = 64
t = torch.linspace(0, 12, 512 + T + 1)
series = torch.sin(t) + 0.5 * torch.sin(2.3 * t)

class Block(nn.Module):
    def __init__(self, ch, dilation):
        super().__init__()
        self.dil = nn.Conv1d(ch, 2 * ch, 2, dilation=dilation)
        self.res, self.skip = nn.Conv1d(ch, ch, 1), nn.Conv1d(ch, ch, 1)
        self.pad = dilation

    def forward(self, x):
        a, b = self.dil(F.pad(x, (self.pad, 0))).chunk(2, dim=1)
        h = torch.tanh(a) * torch.sigmoid(b)
        return x + self.res(h), self.skip(h)

class Net(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.inp, self.out = nn.Conv1d(1, ch, 1), nn.Conv1d(ch, 1, 1)
        self.blocks = nn.ModuleList(Block(ch, d) for d in (1, 2, 4, 8))

    def forward(self, x):
        x, skips = self.inp(x), 0
        for block in self.blocks:
            x, s = block(x)
            skips = skips + s
        return self.out(torch.relu(skips))[..., -1]

model = Net()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
starts = torch.arange(0, 512, 4)
windows = torch.stack([series[i:i + T] for i in starts]).unsqueeze(1)
targets = torch.stack([series[i + T] for i in starts]).unsqueeze(1)
history = []
for step in range(60):
    idx = torch.randint(0, len(starts), (32,))
    loss = F.mse_loss(model(windows[idx]), targets[idx])
    history.append(loss.detach())
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
""")
    assert "detached-graph" not in causes(report)


def test_gan_with_detach_and_two_optimizers_is_silent(tmp_path):
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
og, od = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
bce = nn.BCEWithLogitsLoss()
for step in range(60):
    real = 2 + 0.5 * torch.randn(32, 1)
    fake = G(torch.randn(32, 4))
    od.zero_grad()
    d = bce(D(real), torch.ones(32, 1)) + bce(D(fake.detach()), torch.zeros(32, 1))
    d.backward(); od.step()
    og.zero_grad()
    g = bce(D(fake), torch.ones(32, 1))
    g.backward(); og.step()
""")
    assert causes(report) == []


FREEZE_HELPER = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
def freeze_norms(module):
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm1d):
            {target}.requires_grad_(False)
model = nn.Sequential(nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))
scale = nn.Parameter(torch.ones(()))
freeze_norms(model)
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad] + [scale], lr=0.1)
X = torch.randn(256, 6); y = X[:, :3].argmax(1)
for step in range(10):
    i = step % 4 * 64
    opt.zero_grad(); F.cross_entropy(model(X[i:i + 64]) * scale, y[i:i + 64]).backward(); opt.step()
"""


ACTOR_CRITIC = """
import torch, torch.nn as nn
torch.manual_seed(3)
actor = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1), nn.Tanh())
critic = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
opt_a = torch.optim.Adam(actor.parameters(), lr=1e-3)
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3)
for it in range(120):
    state = torch.randn(64, 3)
    with torch.no_grad():
        noisy = actor(state) + 0.1 * torch.randn(64, 1)
    reward = -(noisy - state[:, :1].clamp(-1, 1)) ** 2
    q = critic(torch.cat([state, noisy], 1))
    opt_c.zero_grad()
    ((q - reward) ** 2).mean().backward()
    opt_c.step()
    {actor_loss}
    opt_a.zero_grad()
    actor_loss.backward()
    opt_a.step()
"""


def test_actor_updated_through_the_noisy_detached_action_gets_no_gradient(tmp_path):
    """DDPG-style: the actor's loss re-scores the action it took without gradients, so its
    optimizer steps on nothing although the actor ran in a forward pass."""
    report = diagnose_code(tmp_path, ACTOR_CRITIC.format(
        actor_loss="actor_loss = -critic(torch.cat([state, noisy], 1)).mean()"))
    assert first_cause(report) == "detached-graph"
    assert "stepped" in report.findings[0].message and "Adam" in report.findings[0].message


def test_actor_updated_through_its_own_action_is_silent(tmp_path):
    report = diagnose_code(tmp_path, ACTOR_CRITIC.format(
        actor_loss="actor_loss = -critic(torch.cat([state, actor(state)], 1)).mean()"))
    assert "detached-graph" not in causes(report)


def test_helper_freezing_the_whole_model_before_building_the_optimizer(tmp_path):
    report = diagnose_code(tmp_path, FREEZE_HELPER.format(target="module"))
    assert first_cause(report) == "frozen-params"
    assert report.findings[0].location.code == "module.requires_grad_(False)"


def test_helper_freezing_only_the_norm_layers_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, FREEZE_HELPER.format(target="layer"))) == []


BITFIT = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 10); y = (X[:, :3] @ torch.randn(3, 4)).argmax(1)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
{freeze}
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
for epoch in range(4):
    for i in range(0, 512, 64):
        opt.zero_grad(); F.cross_entropy(model(X[i:i + 64]), y[i:i + 64]).backward(); opt.step()
"""


def test_bias_only_fine_tuning_is_silent(tmp_path):
    """BitFit: every weight matrix frozen on purpose, the biases trained."""
    report = diagnose_code(tmp_path, BITFIT.format(freeze="""
for name, p in model.named_parameters():
    if not name.endswith("bias"):
        p.requires_grad = False"""))
    assert causes(report) == []


def test_freezing_everything_but_the_last_bias_is_still_found(tmp_path):
    """The twin: the freezing condition matches every parameter, one bias is re-enabled."""
    report = diagnose_code(tmp_path, BITFIT.format(freeze="""
for name, p in model.named_parameters():
    if not name.startswith("head"):   # the head is model[4]: nothing is left
        p.requires_grad = False
model[4].bias.requires_grad = True"""))
    assert first_cause(report) == "frozen-params"


MONITORED = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(256, 8)
y = (X[:, 0] * X[:, 1] > 0).long()

class Net(nn.Module):
    # a shared trunk, the class head the loss uses, and an auxiliary head kept for a later
    # fine-tuning stage: computed every forward, its output only watched by a monitor
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, 32), nn.Tanh())
        self.cls = nn.Linear(32, 2)
        self.aux = nn.Linear(32, 4)

    def forward(self, x):
        h = self.trunk(x)
        aux = self.aux(h)
        monitor["aux_rms"] = aux.detach().pow(2).mean().sqrt().item()
        return self.cls(FEATURES(h)), aux

monitor = {}
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    i = torch.randint(0, 256, (64,))
    logits, _ = model(X[i])
    loss = F.cross_entropy(logits, y[i])
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item(), monitor)
"""


def test_a_value_detached_only_to_be_monitored_cut_nothing(tmp_path):
    # the auxiliary head gets no gradient because its output is unused, not because of the
    # monitor's `.detach()`: the detached values never go into a gradient pass
    report = diagnose_code(tmp_path, MONITORED.replace("FEATURES(h)", "h"))
    assert "detached-graph" not in causes(report)


def test_a_detached_value_that_feeds_the_loss_is_still_the_cut(tmp_path):
    # the same program with the trunk's features detached on their way to the class head (and
    # through a concatenation): the trunk is cut off, the monitor beside it changes nothing
    report = diagnose_code(tmp_path, MONITORED.replace("FEATURES(h)", "torch.cat([h.detach(), h.detach()], 1)[:, :32]"))
    assert first_cause(report) == "detached-graph"
    assert "trunk" in report.findings[0].message


def test_a_detached_value_written_into_a_buffer_that_feeds_the_loss_is_the_cut(tmp_path):
    report = diagnose_code(tmp_path, MONITORED.replace("FEATURES(h)", "_filled(h)").replace("monitor = {}", """monitor = {}
def _filled(h):
    buf = torch.zeros(h.shape[0], 32)
    buf[:, :32] = h.detach()   # an in-place write returns nothing: the buffer carries the cut
    return buf"""))
    assert first_cause(report) == "detached-graph"


@pytest.mark.parametrize("write", [
    "buf[:, :32].copy_(h.detach())",  # copy_ into a view: the buffer the loss reads was written
    "buf.view(-1)[:h.numel()] = h.detach().reshape(-1)",  # a write through a reshaped view
    "buf.data[:, :32] = h.detach()",  # through a `.data` alias (no view: the same memory)
])
def test_a_detached_value_written_through_a_view_or_alias_is_the_cut(tmp_path, write):
    report = diagnose_code(tmp_path, MONITORED.replace("FEATURES(h)", "_filled(h)").replace("monitor = {}", f"""monitor = {{}}
def _filled(h):
    buf = torch.zeros(h.shape[0], 32)
    {write}
    return buf"""))
    assert first_cause(report) == "detached-graph"


def test_a_detached_value_through_a_torchscript_layer_is_the_cut(tmp_path):
    # the scripted layer's own ops are not seen one by one: its output carries its inputs' cut
    report = diagnose_code(tmp_path, MONITORED.replace("FEATURES(h)", "self.scripted(h.detach())").replace(
        "        self.aux = nn.Linear(32, 4)", "        self.aux = nn.Linear(32, 4)\n        self.scripted = torch.jit.script(nn.Tanh())"))
    assert first_cause(report) == "detached-graph"


def test_the_cut_still_counts_when_too_many_cut_values_are_alive_to_follow(tmp_path):
    # a per-sample metric keeps every detached row of a large batch alive (more tensors than
    # are followed at once): the real cut after it is reported as without the following
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(24000, 8); y = (X[:, 0] > 0).long()
trunk, head = nn.Linear(8, 16), nn.Linear(16, 2)
opt = torch.optim.Adam([*trunk.parameters(), *head.parameters()], lr=1e-2)
for step in range(12):
    h = trunk(X)
    rows = h.detach().unbind(0)        # 24,000 followed rows alive until the step ends
    logits = head(torch.tanh(h.detach()))   # the bug
    loss = F.cross_entropy(logits, y)
    opt.zero_grad(); loss.backward(); opt.step()
    del rows
""")
    assert first_cause(report) == "detached-graph"


SHARED_STOPGRAD = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 6)
Y = X @ torch.randn(6, 1) + 0.1 * torch.randn(512, 1)

def stopgrad(t):
    return t.detach()  # every stop-gradient of the script goes through this line

encoder = nn.Sequential(nn.Linear(6, 24), nn.GELU())
regressor = nn.Linear(24, 1)
probe = nn.Linear(24, 3)  # kept for a later stage: only its activity is logged
opt = torch.optim.SGD([*encoder.parameters(), *regressor.parameters(), *probe.parameters()], lr=0.05, momentum=0.9)
activity = []
for epoch in range(6):
    for i in range(0, 512, 64):
        xb, yb = X[i:i + 64], Y[i:i + 64]
        z = encoder(xb)
        pred = regressor(FEATURES)
        # consistency with the prediction on a noisy copy, held fixed
        target = stopgrad(regressor(encoder(xb + 0.05 * torch.randn_like(xb))))
        loss = F.mse_loss(pred, yb) + 0.1 * F.mse_loss(pred, target)
        activity.append(stopgrad(probe(z)).abs().mean().item())
        opt.zero_grad()
        loss.backward()
        opt.step()
print(loss.item(), activity[-1])
"""


def test_one_stopgrad_helper_for_a_target_and_a_logged_head_cuts_nothing(tmp_path):
    # the helper's line cuts twice a step: a consistency target that goes into the loss (behind
    # it, the encoder and regressor, which the loss reaches anyway) and the unused probe's
    # output, only logged; the probe gets no gradient because it is unused, not because of a cut
    report = diagnose_code(tmp_path, SHARED_STOPGRAD.replace("FEATURES", "z"))
    assert "detached-graph" not in causes(report)


def test_the_same_helper_cutting_the_features_is_the_cut(tmp_path):
    report = diagnose_code(tmp_path, SHARED_STOPGRAD.replace("FEATURES", "stopgrad(z)"))
    assert first_cause(report) == "detached-graph"
    assert "encoder" in report.findings[0].message
