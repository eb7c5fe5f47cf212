# Notebook-style classifier: log_softmax + nll_loss, probabilities only for reporting.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# %%
rng = np.random.default_rng(40)
X_np = rng.normal(size=(900, 8)).astype(np.float32)
y_np = (X_np[:, 0] + X_np[:, 1] ** 2 > 1).astype(np.int64) + (X_np[:, 2] > 0.5)
X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)
mu, sd = X.mean(0), X.std(0)
X = (X - mu) / sd

# %%
torch.manual_seed(40)
clf = nn.Sequential(nn.Linear(8, 48), nn.GELU(), nn.Dropout(0.1), nn.Linear(48, 3))
opt = torch.optim.AdamW(clf.parameters(), lr=3e-3)
history = []
for epoch in range(12):
    clf.train()
    for i in range(0, 800, 50):
        opt.zero_grad()
        loss = F.nll_loss(F.log_softmax(clf(X[i:i + 50]), dim=-1), y[i:i + 50])
        loss.backward()
        opt.step()
        history.append(loss.item())
    clf.eval()
    with torch.no_grad():
        probs = F.softmax(clf(X[800:]), dim=-1)
    print(epoch, np.mean(history[-16:]), (probs.argmax(1) == y[800:]).float().mean().item())
