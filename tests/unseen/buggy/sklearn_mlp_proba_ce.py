"""A scikit-learn style classifier around a torch MLP: fit / predict_proba / predict / score."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TorchMLPClassifier:
    def __init__(self, hidden_layer_sizes=(64,), learning_rate_init=1e-3, max_iter=20,
                 batch_size=64, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state

    def _build(self, n_in, n_out):
        layers, width = [], n_in
        for h in self.hidden_layer_sizes:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, n_out), nn.Softmax(dim=1)]
        return nn.Sequential(*layers)

    def fit(self, X, y):
        if self.random_state is not None:
            torch.manual_seed(self.random_state)
        self.classes_ = np.unique(y)
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long)
        self.model_ = self._build(X.shape[1], len(self.classes_))
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.learning_rate_init)
        self.loss_curve_ = []
        for _ in range(self.max_iter):
            perm = torch.randperm(len(X))
            for i in range(0, len(X), self.batch_size):
                idx = perm[i:i + self.batch_size]
                loss = F.cross_entropy(self.model_(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.loss_curve_.append(loss.item())
        return self

    def predict_proba(self, X):
        with torch.no_grad():
            return self.model_(torch.as_tensor(X, dtype=torch.float32)).numpy()

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(1)]

    def score(self, X, y):
        return float((self.predict(X) == y).mean())


rng = np.random.RandomState(3)
centers = rng.randn(20, 16) * 1.2  # 20 product categories
labels = rng.randint(0, 20, size=1500)
X = (centers[labels] + rng.randn(1500, 16)).astype(np.float32)
X_train, X_test, y_train, y_test = X[:1200], X[1200:], labels[:1200], labels[1200:]

clf = TorchMLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=1e-3, max_iter=5, random_state=0)
clf.fit(X_train, y_train)
print(f"FINAL acc {clf.score(X_test, y_test):.3f}")
