"""House prices in dollars, dict batches from a list of records."""
import torch
import torch.nn as nn

torch.manual_seed(19)
records = []
for _ in range(800):
    area, rooms, age = torch.rand(3).tolist()
    price = 150_000 + 250_000 * area + 40_000 * rooms - 60_000 * age + 5_000 * torch.randn(()).item()
    records.append({"x": torch.tensor([area, rooms, age]), "price": torch.tensor([price])})


def collate(rows):
    return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}


model = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(8):
    for i in range(0, 640, 32):
        batch = collate(records[i:i + 32])
        opt.zero_grad()
        loss = nn.functional.l1_loss(model(batch["x"]), batch["price"])
        loss.backward()
        opt.step()
test = collate(records[640:])
with torch.no_grad():
    err = (model(test["x"]) - test["price"]).abs().mean().item() / test["price"].std().item()
print(f"FINAL rel_mae {err:.4f}")
