# A sequence classifier with the default time-major LSTM (batch_first=False): the data are
# generated [B, T, F] and explicitly transposed to [T, B, F] before the layer, and the last
# time step h_n[-1] feeds the head. Task: does the running sum ever exceed a threshold?
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(28)
B, T, Fdim = 32, 20, 3


def batch(n):
    x = torch.randn(n, T, Fdim)                       # [B, T, F]
    running = x[:, :, 0].cumsum(1)
    y = (running.max(1).values > 3.0).long()
    return x, y


class SeqClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(Fdim, 32, num_layers=1)   # expects [T, B, F]
        self.head = nn.Linear(32, 2)

    def forward(self, x_tbf):
        _, (h_n, _) = self.lstm(x_tbf)
        return self.head(h_n[-1])


model = SeqClassifier()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
xv, yv = batch(400)


def val():
    with torch.no_grad():
        return F.cross_entropy(model(xv.transpose(0, 1)), yv).item()


first = val()
for step in range(150):
    x, y = batch(B)
    logits = model(x.transpose(0, 1).contiguous())
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
