"""scikit-learn style Pipeline(StandardScaler -> torch regressor) for building energy use."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class StandardScaler:
    def fit(self, X, y=None):
        self.mean_, self.scale_ = X.mean(0), X.std(0) + 1e-12
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        return X * self.scale_ + self.mean_


class TorchRegressor:
    def __init__(self, hidden=64, lr=1e-3, epochs=20, batch_size=32, seed=0):
        self.hidden, self.lr, self.epochs, self.batch_size, self.seed = hidden, lr, epochs, batch_size, seed

    def fit(self, X, y):
        torch.manual_seed(self.seed)
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        self.net_ = nn.Sequential(nn.Linear(X.shape[1], self.hidden), nn.ReLU(),
                                  nn.Linear(self.hidden, self.hidden), nn.ReLU(), nn.Linear(self.hidden, 1))
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        for _ in range(self.epochs):
            perm = torch.randperm(len(X))
            for i in range(0, len(X), self.batch_size):
                idx = perm[i:i + self.batch_size]
                loss = F.mse_loss(self.net_(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        return self

    def predict(self, X):
        with torch.no_grad():
            return self.net_(torch.as_tensor(X, dtype=torch.float32)).numpy().ravel()


class Pipeline:
    def __init__(self, steps):
        self.steps = steps

    def fit(self, X, y):
        for _, step in self.steps[:-1]:
            X = step.fit_transform(X)
        self.steps[-1][1].fit(X, y)
        return self

    def predict(self, X):
        for _, step in self.steps[:-1]:
            X = step.transform(X)
        return self.steps[-1][1].predict(X)


class TransformedTargetRegressor:
    def __init__(self, regressor, transformer):
        self.regressor, self.transformer = regressor, transformer

    def fit(self, X, y):
        self.regressor.fit(X, self.transformer.fit_transform(y.reshape(-1, 1)).ravel())
        return self

    def predict(self, X):
        return self.transformer.inverse_transform(self.regressor.predict(X).reshape(-1, 1)).ravel()


rng = np.random.RandomState(0)
n = 1500
floor_area = rng.uniform(50, 400, n)           # m2
insulation = rng.uniform(0, 1, n)
outdoor_temp = rng.normal(8, 6, n)             # C
occupants = rng.randint(1, 7, n)
X = np.stack([floor_area, insulation, outdoor_temp, occupants], 1).astype(np.float32)
# yearly energy use in kWh
y = (12 * floor_area * (1.6 - insulation) * (1 + 0.04 * np.maximum(18 - outdoor_temp, 0))
     + 450 * occupants + rng.normal(0, 150, n)).astype(np.float32)

model = Pipeline([("scale", StandardScaler()), ("net", TorchRegressor(epochs=20))])
model.fit(X[:1200], y[:1200])
pred = model.predict(X[1200:])
rel_mae = np.abs(pred - y[1200:]).mean() / np.abs(y[1200:]).mean()
print(f"FINAL rel_mae {rel_mae:.4f}")
