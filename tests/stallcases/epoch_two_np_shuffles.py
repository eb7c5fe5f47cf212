# Hand-rolled mini-batch loop over NumPy arrays (sklearn synthetic data), reshuffled each epoch.
import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

np.random.seed(4)
torch.manual_seed(4)

X, y = make_classification(n_samples=1800, n_features=20, n_informative=6, n_redundant=2,
                           n_classes=3, n_clusters_per_class=1, class_sep=2.0, random_state=4)
X_train, y_train = X[:1400], y[:1400]
X_val, y_val = X[1400:], y[1400:]
scaler = StandardScaler().fit(X_train)
X_train = scaler.transform(X_train).astype(np.float32)
X_val = scaler.transform(X_val).astype(np.float32)

model = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 3))
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
BATCH = 50

for epoch in range(5):
    np.random.shuffle(X_train)
    np.random.shuffle(y_train)
    running = []
    for start in range(0, len(X_train), BATCH):
        xb = torch.from_numpy(X_train[start:start + BATCH])
        yb = torch.from_numpy(y_train[start:start + BATCH]).long()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        running.append(loss.item())
    with torch.no_grad():
        acc = (model(torch.from_numpy(X_val)).argmax(1).numpy() == y_val).mean()
    print(f"[{epoch}] loss={np.mean(running):.4f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
