"""A small Keras-style model class: compile() picks the loss and optimizer by name, fit() runs epochs."""
import torch
import torch.nn as nn

LOSSES = {
    "mse": lambda pred, target: ((pred - target) ** 2).mean(),
    "mae": lambda pred, target: (pred - target).abs().mean(),
}
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}


class Sequential(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.history = {"loss": []}

    def forward(self, x):
        return self.layers(x)

    def compile(self, optimizer="adam", loss="mse", learning_rate=1e-3):
        self.loss_fn = LOSSES[loss]
        self.optimizer = OPTIMIZERS[optimizer](self.parameters(), lr=learning_rate)

    def fit(self, X, y, epochs=1, batch_size=32, shuffle=True, verbose=0):
        gen = torch.Generator().manual_seed(0)
        for epoch in range(epochs):
            self.train()
            order = torch.randperm(len(X), generator=gen) if shuffle else torch.arange(len(X))
            total = 0.0
            for i in range(0, len(X), batch_size):
                idx = order[i:i + batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self(X[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                total += loss.item() * len(idx)
            self.history["loss"].append(total / len(X))
            if verbose:
                print(f"epoch {epoch + 1}/{epochs} - loss {self.history['loss'][-1]:.4f}")
        return self.history

    def predict(self, X, batch_size=256):
        self.eval()
        with torch.no_grad():
            return torch.cat([self(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


torch.manual_seed(0)
X = torch.randn(1200, 8)
y = torch.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3]
X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]

model = Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
model.compile(optimizer="adam", loss="mse", learning_rate=3e-3)
model.fit(X_train, y_train, epochs=12, batch_size=32, verbose=1)
pred = model.predict(X_test).squeeze(1)
print(f"FINAL mse {((pred - y_test) ** 2).mean().item():.4f}")
