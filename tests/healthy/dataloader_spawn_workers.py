# DataLoader with worker processes started by "spawn" (the default on macOS and Windows):
# the dataset class lives in __main__ and the entry point is guarded.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Polynomials(Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(7)
        self.x = torch.rand(n, 3, generator=g) * 2 - 1
        self.y = (self.x[:, :1] ** 2 - self.x[:, 1:2] * self.x[:, 2:3])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def main():
    torch.manual_seed(111)
    loader = DataLoader(Polynomials(1024), batch_size=64, shuffle=True, num_workers=2,
                        multiprocessing_context="spawn", persistent_workers=True,
                        generator=torch.Generator().manual_seed(0))
    model = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    epoch_loss = []
    for epoch in range(4):
        total = 0.0
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        epoch_loss.append(total / len(loader.dataset))
    checksum = sum(p.detach().double().sum().item() for p in model.parameters())
    print("RESULT", repr(epoch_loss[0]), repr(epoch_loss[-1]), repr(checksum))


if __name__ == "__main__":
    main()
