# Truncated backpropagation through time on one long stream: an LSTM language-model-like
# predictor reads the series in chunks of k steps, the (h, c) state is carried across chunks
# but detached every k steps, one optimizer step per chunk.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(25)
T_total, K = 2400, 30
t = torch.arange(T_total, dtype=torch.float32)
series = torch.sin(0.07 * t) + 0.5 * torch.sin(0.23 * t + 1.0) + 0.05 * torch.randn(T_total)
series = series.view(1, -1, 1)  # one stream, batch_first layout


class Predictor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


model = Predictor()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
chunk_losses = []
for epoch in range(2):
    state = None
    for start in range(0, T_total - K - 1, K):
        x = series[:, start:start + K]
        target = series[:, start + 1:start + K + 1]
        if state is not None:
            state = tuple(s.detach() for s in state)
        pred, state = model(x, state)
        loss = F.mse_loss(pred, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        chunk_losses.append(loss.item())

first = sum(chunk_losses[:5]) / 5
final = sum(chunk_losses[-5:]) / 5
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
