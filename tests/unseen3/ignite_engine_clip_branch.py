"""Regression with an ignite-like Engine: a process function per iteration, event handlers
for logging and evaluation. Gradient clipping is optional; with it switched off (the
default here) the process function takes the other branch."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Engine:
    def __init__(self, process_function):
        self.process_function = process_function
        self.handlers = {"ITERATION_COMPLETED": [], "EPOCH_COMPLETED": []}
        self.state = type("State", (), {})()

    def on(self, event):
        def register(fn):
            self.handlers[event].append(fn)
            return fn
        return register

    def fire(self, event):
        for fn in self.handlers[event]:
            fn(self)

    def run(self, loader, max_epochs):
        self.state.iteration = 0
        for epoch in range(max_epochs):
            self.state.epoch = epoch
            for batch in loader:
                self.state.iteration += 1
                self.state.output = self.process_function(self, batch)
                self.fire("ITERATION_COMPLETED")
            self.fire("EPOCH_COMPLETED")


torch.manual_seed(0)
X = torch.randn(2000, 8)
y = (torch.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] - X[:, 3]).unsqueeze(1) + 0.05 * torch.randn(2000, 1)
loader = DataLoader(TensorDataset(X[:1600], y[:1600]), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.MSELoss()
config = {"max_grad_norm": None, "log_every": 50}


def train_step(engine, batch):
    model.train()
    optimizer.zero_grad()
    xb, yb = batch
    loss = criterion(model(xb), yb)
    if config["max_grad_norm"] is not None:
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config["max_grad_norm"])
    optimizer.step()
    return loss.item()


trainer = Engine(train_step)


@trainer.on("ITERATION_COMPLETED")
def log_loss(engine):
    if engine.state.iteration % config["log_every"] == 0:
        print(f"iter {engine.state.iteration} loss {engine.state.output:.4f}")


@trainer.on("EPOCH_COMPLETED")
def evaluate(engine):
    model.eval()
    with torch.no_grad():
        engine.state.val_mse = criterion(model(X[1600:]), y[1600:]).item()


trainer.run(loader, max_epochs=6)
print(f"FINAL mse {trainer.state.val_mse:.4f}")
