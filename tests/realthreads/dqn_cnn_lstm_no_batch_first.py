"""A CNN encoder turns a stack of frames into (batch, 64 steps, 16 features) for an LSTM
value head; the LSTM is built without batch_first.

Thread: https://github.com/AndersonJo/dqn-pytorch/issues/1
User saw: the model trained, but the LSTM input was (32, 64, 16) = (batch, seq, feature)
  while nn.LSTM defaults to (seq_len, batch, input_size).
Cause (thread): missing batch_first=True, so the LSTM steps over the samples of the batch.
Fix (thread): self.lstm = nn.LSTM(16, LSTM_MEMORY, 1, batch_first=True)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
BATCH_SIZE, LSTM_MEMORY = 32, 32


def make_episodes(n):
    # a 1-D "screen" of 64 pixels per frame, 4 stacked frames; a dot moves left or right
    pos = torch.randint(8, 56, (n,))
    step = torch.randint(0, 2, (n,)) * 2 - 1  # -1 or +1
    frames = torch.zeros(n, 4, 64)
    for t in range(4):
        frames[torch.arange(n), t, (pos + step * 2 * t).clamp(0, 63)] = 1.0
    frames += 0.05 * torch.randn_like(frames)
    value = step.float() * (1 + pos.float() / 64)  # return of action "move right"
    return frames, value


class DQN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 16, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(16, 16, kernel_size=5, padding=2)
        self.lstm = nn.LSTM(16, LSTM_MEMORY, 1)
        self.head = nn.Linear(LSTM_MEMORY, 1)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))  # (batch, 16, 64)
        x = x.permute(0, 2, 1)  # (batch, 64, 16)
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(1)


x_train, v_train = make_episodes(1024)
x_test, v_test = make_episodes(256)
model = DQN()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    for i in range(0, len(x_train), BATCH_SIZE):
        opt.zero_grad()
        loss = F.smooth_l1_loss(model(x_train[i:i + BATCH_SIZE]), v_train[i:i + BATCH_SIZE])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    pred = torch.cat([model(x_test[i:i + BATCH_SIZE]) for i in range(0, len(x_test), BATCH_SIZE)])
print(f"FINAL mse {F.mse_loss(pred, v_test).item():.4f}")
