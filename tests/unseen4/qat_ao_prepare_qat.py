"""Quantization-aware training with torch.ao.quantization: QuantStub/DeQuantStub, fused
Linear+ReLU, prepare_qat with the default fbgemm QAT qconfig (FakeQuantize on weights and
activations), observers frozen part-way, then convert to int8 for the test accuracy."""
import torch
import torch.nn as nn
import torch.ao.quantization as tq

torch.manual_seed(3)
N, D, C = 2000, 20, 4
W = torch.randn(D, C)
X = torch.randn(N, D)
y = (torch.tanh(X) @ W + 0.3 * torch.randn(N, C)).argmax(1)
Xtr, ytr, Xte, yte = X[:1600], y[:1600], X[1600:], y[1600:]


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.fc1 = nn.Linear(D, 64)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(64, 64)
        self.relu2 = nn.ReLU()
        self.out = nn.Linear(64, C)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        return self.dequant(self.out(x))


model = QNet()
model.eval()
model = tq.fuse_modules(model, [["fc1", "relu1"], ["fc2", "relu2"]])
model.qconfig = tq.get_default_qat_qconfig("fbgemm")
model.train()
tq.prepare_qat(model, inplace=True)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(12):
    if epoch == 8:
        model.apply(tq.disable_observer)
    perm = torch.randperm(len(Xtr))
    for i in range(0, len(Xtr), 64):
        b = perm[i:i + 64]
        loss = loss_fn(model(Xtr[b]), ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start loss {loss.item():.3f}")
    print(f"epoch {epoch} loss {loss.item():.3f}")
model.eval()
with torch.no_grad():
    fq_acc = (model(Xte).argmax(1) == yte).float().mean().item()
try:
    qmodel = tq.convert(model, inplace=False)
    with torch.no_grad():
        q_acc = (qmodel(Xte).argmax(1) == yte).float().mean().item()
except Exception as e:  # engine not available on this build
    q_acc = float("nan")
print(f"FINAL fakequant_acc {fq_acc:.3f} int8_acc {q_acc:.3f}")
