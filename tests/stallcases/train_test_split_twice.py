# Wine-quality-like multi-class tabular model: sklearn for splitting/scaling, torch for the MLP,
# settings in a dataclass.
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


@dataclass
class Settings:
    seed: int = 13
    test_size: float = 0.25
    epochs: int = 8
    batch: int = 64
    lr: float = 3e-3


S = Settings()
rng = np.random.default_rng(S.seed)
torch.manual_seed(S.seed)

n = 2000
acidity, sugar, alcohol, sulphates = rng.normal(size=(4, n))
chem = np.stack([acidity, sugar, alcohol, sulphates, rng.normal(size=n), rng.normal(size=n)], 1)
score = 1.2 * alcohol + 0.8 * sulphates - 0.6 * acidity + 0.2 * rng.normal(size=n)
quality = np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75]))  # 4 grades

X_train, X_val = train_test_split(chem, test_size=S.test_size, random_state=S.seed)
y_train, y_val = train_test_split(quality, test_size=S.test_size)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_val = torch.tensor(scaler.transform(X_val), dtype=torch.float32)
y_train, y_val = torch.tensor(y_train), torch.tensor(y_val)

model = nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 4))
opt = torch.optim.Adam(model.parameters(), lr=S.lr)
for epoch in range(S.epochs):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(perm), S.batch):
        b = perm[i:i + S.batch]
        loss = nn.functional.cross_entropy(model(X_train[b]), y_train[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (model(X_val).argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f}, val_acc {acc:.3f}")
print(f"final val_acc={acc:.3f}")
