from helpers import causes, diagnose_code, first_cause

BASE = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 6); y = X[:, :2].sum(1, keepdim=True) + 0.5 * torch.relu(X[:, 2:3])
{model}
opt = torch.optim.{opt}
for step in range({steps}):
    xb, yb = X[step % 4 * 128:(step % 4 + 1) * 128], y[step % 4 * 128:(step % 4 + 1) * 128]
    opt.zero_grad()
    loss = F.mse_loss(model(xb), yb)
    loss.backward(); opt.step()
"""


def run(tmp_path, model, opt="Adam(model.parameters(), lr=1e-3)", steps=30):
    return diagnose_code(tmp_path, BASE.format(model=model, opt=opt, steps=steps))


def test_zero_initialised_hidden_layers(tmp_path):
    report = run(tmp_path, """
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
""")
    assert first_cause(report) == "symmetric-init"


def test_zero_initialised_output_layer_is_silent(tmp_path):
    report = run(tmp_path, """
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
nn.init.zeros_(model[2].weight)
""")
    assert causes(report) == []


def test_layer_norm_over_two_axes_is_silent(tmp_path):
    # nn.LayerNorm([4, 8]) holds a [4, 8] scale of ones: element-wise, no units to be identical
    report = run(tmp_path, """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lift = nn.Linear(6, 32)
        self.norm = nn.LayerNorm([4, 8])
        self.mix = nn.Linear(8, 8)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        h = self.norm(torch.relu(self.lift(x)).view(-1, 4, 8))
        return self.head(torch.relu(self.mix(h)).flatten(1))

model = Net()
""")
    assert causes(report) == []


def test_zero_initialised_lora_style_matrix_is_silent(tmp_path):
    report = run(tmp_path, """
class LoRA(nn.Module):
    def __init__(self):
        super().__init__()
        self.base = nn.Linear(6, 32)
        self.A = nn.Linear(6, 4, bias=False)
        self.B = nn.Linear(4, 32, bias=False)
        nn.init.zeros_(self.B.weight)
        self.out = nn.Linear(32, 1)
    def forward(self, x):
        return self.out(torch.relu(self.base(x) + self.B(self.A(x))))
model = LoRA()
""")
    assert causes(report) == []


def test_vanishing_gradients_in_a_deep_tanh_stack(tmp_path):
    report = run(tmp_path, """
layers = []
for i in range(20):
    lin = nn.Linear(6 if i == 0 else 32, 32)
    nn.init.normal_(lin.weight, std=0.02)
    layers += [lin, nn.Tanh()]
model = nn.Sequential(*layers, nn.Linear(32, 1))
""", opt="SGD(model.parameters(), lr=0.05)")
    assert first_cause(report) == "vanishing-gradients"


def test_healthy_deep_network_is_silent(tmp_path):
    report = run(tmp_path, """
layers = []
for i in range(8):
    layers += [nn.Linear(6 if i == 0 else 32, 32), nn.Tanh()]
model = nn.Sequential(*layers, nn.Linear(32, 1))
""")
    assert causes(report) == []


def test_exploding_gradients_in_a_deep_relu_stack(tmp_path):
    report = run(tmp_path, """
layers = []
for i in range(12):
    lin = nn.Linear(6 if i == 0 else 64, 64)
    nn.init.normal_(lin.weight, std=0.5)
    layers += [lin, nn.ReLU()]
model = nn.Sequential(*layers, nn.Linear(64, 1))
""", opt="SGD(model.parameters(), lr=1e-9)")
    assert "exploding-gradients" in causes(report)


def test_dead_relu_from_negative_bias(tmp_path):
    report = run(tmp_path, """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 64); self.out = nn.Linear(64, 1)
        nn.init.constant_(self.hidden.bias, -8.0)
    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))
model = Net()
""")
    assert first_cause(report) == "dead-relu"
    assert "torch.relu" in report.findings[0].location.code


PINN = """
import torch, torch.nn as nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 24), nn.{act}(), nn.Linear(24, 24), nn.{act}(), nn.Linear(24, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for it in range(30):
    x = torch.rand(64, 1, requires_grad=True)
    u = net(x)
    ux = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]
    loss = ((uxx - 2.0) ** 2).mean() + net(torch.zeros(1, 1)).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
"""


def test_second_derivatives_through_relu(tmp_path):
    report = diagnose_code(tmp_path, PINN.format(act="ReLU"))
    assert first_cause(report) == "zero-second-derivative"
    assert "autograd.grad" in report.findings[0].location.code


def test_second_derivatives_through_tanh_are_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, PINN.format(act="Tanh"))) == []


def test_second_derivatives_through_a_helper_still_fire(tmp_path):
    """u_x and u_xx computed by the same helper line: the zero one is still found."""
    code = PINN.format(act="ReLU").replace(
        "    ux = torch.autograd.grad(u.sum(), x, create_graph=True)[0]\n"
        "    uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]\n",
        "    ux = d(u, x)\n    uxx = d(ux, x)\n").replace(
        "for it in range(30):", "def d(f, x):\n    return torch.autograd.grad(f.sum(), x, create_graph=True)[0]\n"
        "for it in range(30):")
    report = diagnose_code(tmp_path, code)
    assert first_cause(report) == "zero-second-derivative"


def test_gradient_penalty_through_leaky_relu_is_silent(tmp_path):
    """WGAN-GP: the critic's input gradient is piecewise constant but depends on its weights."""
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn
torch.manual_seed(0)
D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
G = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
for it in range(30):
    real = torch.randn(64, 2) + 2
    fake = G(torch.randn(64, 2)).detach()
    eps = torch.rand(64, 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    g, = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    d_loss = D(fake).mean() - D(real).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
    opt_d.zero_grad(); d_loss.backward(); opt_d.step()
    g_loss = -D(G(torch.randn(64, 2))).mean()
    opt_g.zero_grad(); g_loss.backward(); opt_g.step()
""")
    assert "zero-second-derivative" not in causes(report)


def test_second_order_maml_through_relu_is_silent(tmp_path):
    report = diagnose_code(tmp_path, """
import torch, torch.nn.functional as F
torch.manual_seed(0)
params = [torch.randn(32, 1, requires_grad=True), torch.zeros(32, requires_grad=True),
          (torch.randn(1, 32) / 6).requires_grad_(), torch.zeros(1, requires_grad=True)]
def f(p, x):
    return F.linear(F.relu(F.linear(x, p[0], p[1])), p[2], p[3])
opt = torch.optim.Adam(params, lr=1e-3)
for it in range(30):
    a = torch.rand(1) * 3
    xs, xq = torch.rand(10, 1) * 4 - 2, torch.rand(10, 1) * 4 - 2
    grads = torch.autograd.grad(F.mse_loss(f(params, xs), a * xs.sin()), params, create_graph=True)
    fast = [p - 0.01 * g for p, g in zip(params, grads)]
    loss = F.mse_loss(f(fast, xq), a * xq.sin())
    opt.zero_grad(); loss.backward(); opt.step()
""")
    assert "zero-second-derivative" not in causes(report)


def test_parallel_branches_of_one_input_are_one_depth(tmp_path):
    """Attention-like: query and key projections of the input get tiny gradients (their product
    is scaled down), the value projection beside them does not. The layers that read the same
    input are one depth, so the input side is judged by its largest gradient: no vanishing."""
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(8, 16), nn.Linear(8, 16), nn.Linear(8, 16)
        self.out = nn.Linear(16, 16)
        self.head = nn.Linear(16, 3)
    def forward(self, x):
        gate = torch.sigmoid(1e-4 * (self.q(x) * self.k(x)).sum(1, keepdim=True))
        return self.head(torch.relu(self.out(gate * self.v(x))))
X = torch.randn(512, 8); y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
model = Block()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(150):
    xb, yb = X[step % 8 * 64:(step % 8 + 1) * 64], y[step % 8 * 64:(step % 8 + 1) * 64]
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad(); loss.backward(); opt.step()
""")
    assert "vanishing-gradients" not in causes(report)


DENSITY = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
# counts per map cell from 5 covariates: a per-pixel network with a non-negative output layer,
# trained on mini-batches of 4 maps
X = torch.randn(96, 5, 6, 6)
Y = F.softplus(X[:, :2].sum(1, keepdim=True)) * 3
net = nn.Sequential(nn.Conv2d(5, 32, 1), nn.ReLU(), nn.Conv2d(32, 1, 1), OUTPUT)
with torch.no_grad():
    net[2].bias.fill_(-4.0)   # a prior of "few counts": below zero for every pixel at the start
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for epoch in range(5):
    for i in range(0, 96, 4):
        opt.zero_grad()
        loss = F.l1_loss(net(X[i:i + 4]), Y[i:i + 4])
        loss.backward()
        opt.step()
print(loss.item())
"""


def test_a_wholly_dead_output_relu_in_small_batches(tmp_path):
    # every output pixel is zero for every map of every batch of 4: no gradient reaches anything
    report = diagnose_code(tmp_path, DENSITY.replace("OUTPUT", "nn.ReLU()"))
    assert first_cause(report) == "dead-relu"


def test_the_same_output_through_softplus_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, DENSITY.replace("OUTPUT", "nn.Softplus()"))) == []



SIGMOID_STACK = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
# three classes from a few of 16 features
X = torch.randn(1200, 16)
y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()

def block(i, o):
    return [nn.Linear(i, o), ACT()]

layers = block(16, 48)
for _ in range(2):
    layers += block(48, 48)
model = nn.Sequential(*layers, nn.Linear(48, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    for i in range(0, 1200, 50):
        loss = F.cross_entropy(model(X[i:i + 50]), y[i:i + 50])
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    print("accuracy", (model(X).argmax(1) == y).float().mean().item())
"""


def test_a_sigmoid_stack_that_never_leaves_chance_has_vanishing_gradients(tmp_path):
    # the first layer's gradient is ~5e-3 of the last one's (above the 1e-3 that suffices alone)
    # and the loss stays at a constant prediction's level: the gradient is what is missing
    report = diagnose_code(tmp_path, SIGMOID_STACK.replace("ACT()", "nn.Sigmoid()"))
    assert first_cause(report) == "vanishing-gradients"


def test_the_same_stack_with_relu_learns_and_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, SIGMOID_STACK.replace("ACT()", "nn.ReLU()"))) == []
