"""Training driven by an event bus: handlers subscribe to events and share one state dict."""
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F


class EventBus:
    def __init__(self):
        self.handlers = defaultdict(list)

    def on(self, event):
        def deco(fn):
            self.handlers[event].append(fn)
            return fn
        return deco

    def emit(self, event, state):
        for fn in self.handlers[event]:
            fn(state)


bus = EventBus()


@bus.on("forward")
def forward(state):
    logits = state["model"](state["x"])
    state["probs"] = F.softmax(logits, dim=1)


@bus.on("loss")
def compute_loss(state):
    state["loss"] = F.nll_loss(state["probs"], state["y"])


@bus.on("backward")
def backward(state):
    state["opt"].zero_grad()
    state["loss"].backward()


@bus.on("step")
def step(state):
    state["opt"].step()
    state["seen"] += len(state["y"])


@bus.on("epoch_end")
def log_epoch(state):
    state["log"].append(state["loss"].item())


def run(bus, state, X, y, epochs, batch_size):
    for epoch in range(epochs):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            state["x"], state["y"] = X[idx], y[idx]
            for event in ("forward", "loss", "backward", "step"):
                bus.emit(event, state)
        bus.emit("epoch_end", state)


torch.manual_seed(8)
X = torch.randn(1500, 20)
W = torch.randn(20, 16)
y = (X @ W + 0.5 * torch.randn(1500, 16)).argmax(1)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 16))
state = {"model": model, "opt": torch.optim.Adam(model.parameters(), lr=2e-3), "seen": 0, "log": []}
run(bus, state, X[:1200], y[:1200], epochs=8, batch_size=64)

model.eval()
with torch.no_grad():
    acc = (model(X[1200:]).argmax(1) == y[1200:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
