"""TokenLearner example: learned tokens (batch, 8 tokens, dim) go through nn.MultiheadAttention,
which expects (seq, batch, dim); the code reshapes with .view instead of transposing.

Thread: https://github.com/rish-16/tokenlearner-pytorch/issues/1
User saw: y = y.view(8, 512, 3); y, _ = mhsa(y, y, y); y = y.view(512, 8, 3)  - "I think it's wrong".
Cause (thread, acknowledged by the author): view does not swap the batch and token axes, it cuts
  the batch's memory into new rows, so tokens of different samples are attended together.
Fix (thread): y = y.transpose(0, 1) before and after the attention.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
B, S, D = 64, 8, 16


class TokenLearner(nn.Module):
    def __init__(self, n_tokens=S):
        super().__init__()
        self.select = nn.Linear(D, n_tokens)

    def forward(self, x):  # x: (batch, patches, D)
        w = self.select(x).softmax(1)  # (batch, patches, S)
        return w.transpose(1, 2) @ x  # (batch, S, D)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Linear(4, D)
        self.tokens = TokenLearner()
        self.mhsa = nn.MultiheadAttention(D, 2)
        self.head = nn.Linear(D, 2)

    def forward(self, patches):
        x = self.tokens(self.patch(patches))
        b = x.shape[0]
        y = x.view(S, b, D)
        y, _ = self.mhsa(y, y, y)  # ignore attn weights
        y = y.view(b, S, D)
        return self.head(y.mean(1))


def make_data(n):
    # 32 patches of 4 values; label: is the brightest patch's second value positive?
    patches = torch.randn(n, 32, 4)
    patches[:, :, 0] = patches[:, :, 0].abs()
    top = patches[:, :, 0].argmax(1)
    label = (patches[torch.arange(n), top, 1] > 0).long()
    return patches, label


x_train, y_train = make_data(2048)
x_test, y_test = make_data(512)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    for i in range(0, len(x_train), B):
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[i:i + B]), y_train[i:i + B])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    pred = torch.cat([model(x_test[i:i + B]).argmax(1) for i in range(0, len(x_test), B)])
print(f"FINAL acc {(pred == y_test).float().mean().item():.3f}")
