"""Pretrain, then fine-tune new heads through a small Trainer with uncertainty-weighted multi-task loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim, hidden, n_classes):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.cls_head = nn.Linear(hidden, n_classes)
        self.reg_head = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.backbone(x)
        return self.cls_head(h), self.reg_head(h).squeeze(1)


class UncertaintyWeightedLoss(nn.Module):
    """Kendall et al.: learn one log-variance per task to balance the task losses."""

    def __init__(self, n_tasks):
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(n_tasks))

    def forward(self, losses):
        total = 0.0
        for i, loss in enumerate(losses):
            total = total + torch.exp(-self.log_vars[i]) * loss + self.log_vars[i]
        return total


class Trainer:
    def __init__(self, model, criterion, lr=1e-3, epochs=5, batch_size=64):
        self.model, self.criterion = model, criterion
        self.epochs, self.batch_size = epochs, batch_size
        params = list(model.parameters()) + list(criterion.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)

    def training_step(self, x, y_cls, y_reg):
        logits, value = self.model(x)
        return self.criterion([F.cross_entropy(logits, y_cls), F.mse_loss(value, y_reg)])

    def fit(self, X, y_cls, y_reg):
        for epoch in range(self.epochs):
            self.model.train()
            perm = torch.randperm(len(X))
            for i in range(0, len(X), self.batch_size):
                idx = perm[i:i + self.batch_size]
                loss = self.training_step(X[idx], y_cls[idx], y_reg[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    @torch.no_grad()
    def evaluate(self, X, y_cls):
        self.model.eval()
        logits, _ = self.model(X)
        return (logits.argmax(1) == y_cls).float().mean().item()


torch.manual_seed(9)
W = torch.randn(16, 8)
X_src = torch.randn(3000, 16)
h_src = torch.tanh(X_src @ W)
model = MultiTaskNet(16, 64, n_classes=8)
Trainer(model, UncertaintyWeightedLoss(2), lr=3e-3, epochs=4).fit(X_src, h_src.argmax(1), h_src.sum(1))

# target task: 4 classes from the same latent factors, plus an auxiliary regression target
X = torch.randn(800, 16)
h = torch.tanh(X @ W)
y_cls = (h[:, :4] - h[:, 4:]).argmax(1)
y_reg = h[:, 0] * h[:, 1]
model.cls_head = nn.Linear(64, 4)
model.reg_head = nn.Linear(64, 1)
for p in model.parameters():  # keep the pretrained weights fixed
    p.requires_grad = False
finetune = Trainer(model, UncertaintyWeightedLoss(2), lr=3e-3, epochs=8)
finetune.fit(X[:600], y_cls[:600], y_reg[:600])
print(f"FINAL acc {finetune.evaluate(X[600:], y_cls[600:]):.3f}")
