from helpers import causes, diagnose_code, first_cause

MODEL = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(640, 10); y = (X[:, 0] * X[:, 1] > 0).long()
model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
"""
EPOCH = """
for epoch in range(4):
    {before}
    for i in range(0, 512, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward(); opt.step()
    {validate}
    with torch.no_grad():
        acc = (model(X[512:]).argmax(1) == y[512:]).float().mean()
    {after}
"""


def test_training_in_eval_mode(tmp_path):
    report = diagnose_code(tmp_path, MODEL + "model.eval()\n" + EPOCH.format(before="", validate="", after=""))
    assert first_cause(report) == "eval-mode-training"


def test_eval_left_on_after_first_validation(tmp_path):
    report = diagnose_code(tmp_path, MODEL + EPOCH.format(before="", validate="model.eval()", after=""))
    assert first_cause(report) == "eval-mode-training"


def test_validation_in_train_mode(tmp_path):
    report = diagnose_code(tmp_path, MODEL + EPOCH.format(before="", validate="", after=""))
    assert first_cause(report) == "train-mode-evaluation"
    assert report.findings[0].location.code.startswith("acc =")


def test_proper_train_eval_switching_is_silent(tmp_path):
    code = MODEL + EPOCH.format(before="model.train()", validate="model.eval()", after="")
    assert causes(diagnose_code(tmp_path, code)) == []


def test_frozen_batchnorm_during_fine_tuning_is_silent(tmp_path):
    code = MODEL + """
for p in model[1].parameters():
    p.requires_grad = False
def train_mode():
    model.train()
    model[1].eval()      # keep pretrained batch-norm statistics
""" + EPOCH.format(before="train_mode()", validate="model.eval()", after="")
    assert causes(diagnose_code(tmp_path, code)) == []


CHECKPOINTED = """
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
torch.manual_seed(0)
X = torch.randn(640, 10); y = (X[:, 0] * X[:, 1] > 0).long()
block = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.2))
inp, head = nn.Linear(10, 32), nn.Linear(32, 2)
def model(x):
    return head(checkpoint(block, inp(x), use_reentrant=True))
params = [*block.parameters(), *inp.parameters(), *head.parameters()]
opt = torch.optim.Adam(params, lr=1e-3)
for epoch in range(4):
    block.train()
    for i in range(0, 512, 64):
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        opt.zero_grad(); loss.backward(); opt.step()
    {validate}
    with torch.no_grad():
        acc = (head(block(inp(X[512:]))).argmax(1) == y[512:]).float().mean()
"""


def test_reentrant_checkpointing_is_silent(tmp_path):
    """Its forward runs under no-grad (and is re-run in backward): not an evaluation."""
    report = diagnose_code(tmp_path, CHECKPOINTED.format(validate="block.eval()"))
    assert causes(report) == []


def test_validation_in_train_mode_next_to_reentrant_checkpointing(tmp_path):
    report = diagnose_code(tmp_path, CHECKPOINTED.format(validate=""))
    assert first_cause(report) == "train-mode-evaluation"
    assert report.findings[0].location.code.startswith("acc =")


def test_one_diagnostic_forward_in_train_mode_before_training_is_silent(tmp_path):
    code = MODEL + """
with torch.no_grad():
    print("untrained loss", F.cross_entropy(model(X[:512]), y[:512]).item())
""" + EPOCH.format(before="model.train()", validate="model.eval()", after="")
    assert causes(diagnose_code(tmp_path, code)) == []


def test_one_diagnostic_forward_in_train_mode_between_epochs_is_silent(tmp_path):
    code = MODEL + EPOCH.format(before="model.train()", validate="model.eval()", after="""if epoch == 1:
        model.train()
        with torch.no_grad():
            print("train-mode loss", F.cross_entropy(model(X[:512]), y[:512]).item())""")
    assert causes(diagnose_code(tmp_path, code)) == []


def test_final_test_evaluation_in_train_mode(tmp_path):
    code = MODEL + """
for i in range(0, 512, 64):
    opt.zero_grad()
    F.cross_entropy(model(X[i:i + 64]), y[i:i + 64]).backward(); opt.step()
with torch.no_grad():
    test_acc = (model(X[512:]).argmax(1) == y[512:]).float().mean()
"""
    report = diagnose_code(tmp_path, code)
    assert first_cause(report) == "train-mode-evaluation"
    assert report.findings[0].location.code.startswith("test_acc =")


TARGET_NET = MODEL + """
import copy
target = copy.deepcopy(model)                  # kept in train mode, as BYOL does
for p in target.parameters():
    p.requires_grad = False
for epoch in range(4):
    for i in range(0, 512, 64):
        with torch.no_grad():
            soft = target(X[i:i + 64]).softmax(1)
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64]) + F.kl_div(
            model(X[i:i + 64]).log_softmax(1), soft, reduction="batchmean")
        opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad():
            for t, o in zip(target.parameters(), model.parameters()):
                t.lerp_(o, 0.05)
"""


def test_target_network_updated_by_lerp_is_no_evaluation(tmp_path):
    assert causes(diagnose_code(tmp_path, TARGET_NET)) == []


def test_evaluating_the_trained_model_beside_a_target_network_still_counts(tmp_path):
    code = TARGET_NET + """
    with torch.no_grad():
        acc = (model(X[512:]).argmax(1) == y[512:]).float().mean()
""".replace("\n    ", "\n    " * 1)
    assert "train-mode-evaluation" in causes(diagnose_code(tmp_path, code))


def test_swa_update_bn_is_no_evaluation(tmp_path):
    code = MODEL + """
from torch.optim.swa_utils import AveragedModel, update_bn
swa = AveragedModel(model)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X[:512], y[:512]), batch_size=64)
for epoch in range(4):
    for xb, yb in loader:
        opt.zero_grad(); F.cross_entropy(model(xb), yb).backward(); opt.step()
    swa.update_parameters(model)
    update_bn(loader, swa)
swa.eval()
with torch.no_grad():
    acc = (swa(X[512:]).argmax(1) == y[512:]).float().mean()
"""
    assert causes(diagnose_code(tmp_path, code)) == []


def test_frozen_backbone_in_eval_under_a_trained_head_is_a_probe(tmp_path):
    code = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 10); y = (X[:, 0] > 0).long()
class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)
    def forward(self, x):
        return self.head(self.backbone(x))
net = Probe()
for p in net.backbone.parameters():
    p.requires_grad = False
net.backbone.eval()
opt = torch.optim.SGD(net.head.parameters(), lr=0.1)
for step in range(40):
    loss = F.cross_entropy(net(X[step % 8 * 64:(step % 8 + 1) * 64]), y[step % 8 * 64:(step % 8 + 1) * 64])
    opt.zero_grad(); loss.backward(); opt.step()
"""
    assert "eval-mode-training" not in causes(diagnose_code(tmp_path, code))
    # the same network with nothing frozen, left in eval mode, is the bug
    bug = code.replace("for p in net.backbone.parameters():\n    p.requires_grad = False\n", "").replace(
        "net.backbone.eval()", "net.eval()").replace("net.head.parameters()", "net.parameters()")
    assert first_cause(diagnose_code(tmp_path, bug)) == "eval-mode-training"


MOMENTUM_ENCODER = """
import copy
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(640, 10); y = (X[:, 0] * X[:, 1] > 0).long()

class TwoEncoders(nn.Module):
    # one module holds the trained encoder and its momentum copy (MoCo): the copy runs under
    # no_grad in training mode, as the method wants, and is moved by the script each step
    def __init__(self):
        super().__init__()
        self.online = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
        self.momentum = copy.deepcopy(self.online)
        for p in self.momentum.parameters():
            p.requires_grad = False

    def forward(self, x):
        with torch.no_grad():
            soft = self.momentum(x).softmax(1)
        return self.online(x), soft

model = TwoEncoders()
opt = torch.optim.SGD(model.online.parameters(), lr=0.05, momentum=0.9)
for epoch in range(4):
    for i in range(0, 512, 64):
        logits, soft = model(X[i:i + 64])
        loss = F.cross_entropy(logits, y[i:i + 64]) + 0.5 * F.kl_div(logits.log_softmax(1), soft, reduction="batchmean")
        opt.zero_grad(); loss.backward(); opt.step()
        for q, k in zip(model.online.parameters(), model.momentum.parameters()):
            k.data = k.data * 0.99 + q.data * 0.01   # the momentum update, written as MoCo's code does
EVALUATE
"""


def test_a_momentum_copy_inside_the_model_run_in_training_mode_is_no_evaluation(tmp_path):
    assert causes(diagnose_code(tmp_path, MOMENTUM_ENCODER.replace("EVALUATE", ""))) == []


def test_evaluating_the_online_encoder_in_training_mode_beside_it_still_counts(tmp_path):
    code = MOMENTUM_ENCODER.replace("EVALUATE", """    with torch.no_grad():
        acc = (model.online(X[512:]).argmax(1) == y[512:]).float().mean()""")
    assert "train-mode-evaluation" in causes(diagnose_code(tmp_path, code))


MC_DROPOUT = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(640, 10); y = X[:, :3].sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)

def predictive(x, samples=20):
    SWITCH
    with torch.no_grad():
        draws = torch.stack([model(x) for _ in range(samples)])
    model.train()
    return draws.mean(0), draws.std(0)

for epoch in range(5):
    for i in range(0, 512, 64):
        opt.zero_grad(); F.mse_loss(model(X[i:i + 64]), y[i:i + 64]).backward(); opt.step()
    mean, spread = predictive(X[512:])
print(F.mse_loss(mean, y[512:]).item(), spread.mean().item())
"""


def test_monte_carlo_dropout_switched_on_layer_by_layer_is_no_evaluation(tmp_path):
    switch = """model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()   # sampling is the point"""
    assert causes(diagnose_code(tmp_path, MC_DROPOUT.replace("SWITCH", switch))) == []


def test_the_same_sampling_with_the_model_simply_left_in_training_mode_counts(tmp_path):
    # no sign of intent: the model was never switched, so it reads as a forgotten eval()
    assert "train-mode-evaluation" in causes(diagnose_code(tmp_path, MC_DROPOUT.replace("SWITCH", "pass")))


def test_validation_in_train_mode_when_gradients_are_cleared_after_each_step(tmp_path):
    # `opt.step(); opt.zero_grad()` leaves every .grad None when validation runs, and the
    # parameters moved since the last one: still the trained model, not a momentum copy
    code = MODEL + """
for epoch in range(4):
    for i in range(0, 512, 64):
        F.cross_entropy(model(X[i:i + 64]), y[i:i + 64]).backward()
        opt.step()
        opt.zero_grad()
    with torch.no_grad():
        acc = (model(X[512:]).argmax(1) == y[512:]).float().mean()
"""
    assert first_cause(diagnose_code(tmp_path, code)) == "train-mode-evaluation"


def test_monte_carlo_dropout_after_training_leaves_an_epoch_validation_judged(tmp_path):
    switch = """model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()"""
    code = MC_DROPOUT.replace("SWITCH", switch).replace("    mean, spread = predictive(X[512:])", """    with torch.no_grad():
        val = F.mse_loss(model(X[512:]), y[512:])   # dropout on: eval() forgotten
mean, spread = predictive(X[512:])""")
    assert "train-mode-evaluation" in causes(diagnose_code(tmp_path, code))
