"""Sequence classification in a Lightning-like layout: a module with training_step /
validation_step / configure_optimizers and a tiny Trainer that drives it. The batches are
[batch, time, features]; the LSTM is built with the default layout."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LitSeqClassifier(nn.Module):
    def __init__(self, n_features=4, hidden=32, n_classes=3, lr=5e-3):
        super().__init__()
        self.hparams = dict(lr=lr)
        self.lstm = nn.LSTM(n_features, hidden, num_layers=1)
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.classifier(out[:, -1])

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        acc = (self(x).argmax(1) == y).float().mean()
        self.log("val_acc", acc)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams["lr"])

    def log(self, name, value):
        self.logged = getattr(self, "logged", {})
        self.logged[name] = float(value.detach())


class Trainer:
    def __init__(self, max_epochs):
        self.max_epochs = max_epochs

    def fit(self, module, train_loader, val_loader):
        opt = module.configure_optimizers()
        for epoch in range(self.max_epochs):
            module.train()
            for i, batch in enumerate(train_loader):
                loss = module.training_step(batch, i)
                opt.zero_grad()
                loss.backward()
                opt.step()
            module.eval()
            with torch.no_grad():
                for i, batch in enumerate(val_loader):
                    module.validation_step(batch, i)
            print(f"epoch {epoch} train_loss {module.logged['train_loss']:.3f} val_acc {module.logged['val_acc']:.3f}")


def make_data(n, T=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    cycles = torch.tensor([1.0, 3.0, 6.0])[y].unsqueeze(1)  # slow, medium, fast vibration
    phase = torch.rand(n, 1, generator=g) * 6.28
    t = torch.arange(T).float().unsqueeze(0) / T
    x = 0.3 * torch.randn(n, T, 4, generator=g)
    x[:, :, 0] += torch.sin(6.28 * cycles * t + phase)
    x[:, :, 1] += torch.cos(6.28 * cycles * t + phase)
    return x, y


if __name__ == "__main__":
    torch.manual_seed(0)
    xt, yt = make_data(1024)
    xv, yv = make_data(256, seed=1)
    train = DataLoader(TensorDataset(xt, yt), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(xv, yv), batch_size=256)
    model = LitSeqClassifier()
    Trainer(max_epochs=5).fit(model, train, val)
    print(f"FINAL val_acc {model.logged['val_acc']:.3f}")
