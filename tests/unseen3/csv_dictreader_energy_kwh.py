"""Monthly household electricity use (kWh) from a CSV export read with csv.DictReader;
features standardised, the kWh column used as is; early stopping on a validation split."""
import csv
import io
import random

import torch
import torch.nn as nn

random.seed(0)
torch.manual_seed(0)


def export_csv(rows=1500):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["household_id", "floor_m2", "occupants", "heating_degree_days", "has_heat_pump", "kwh"])
    for i in range(rows):
        floor = random.uniform(40, 220)
        occ = random.randint(1, 6)
        hdd = random.uniform(50, 600)
        hp = random.random() < 0.3
        kwh = 300 + 6.5 * floor + 180 * occ + 2.2 * hdd * (0.5 if hp else 1.0) + random.gauss(0, 120)
        w.writerow([f"H{i:05d}", f"{floor:.1f}", occ, f"{hdd:.0f}", int(hp), f"{kwh:.1f}"])
    return buf.getvalue()


reader = csv.DictReader(io.StringIO(export_csv()))
cols = ["floor_m2", "occupants", "heating_degree_days", "has_heat_pump"]
rows = list(reader)
X = torch.tensor([[float(r[c]) for c in cols] for r in rows])
y = torch.tensor([[float(r["kwh"])] for r in rows])
X = (X - X[:1200].mean(0)) / X[:1200].std(0)
Xtr, ytr, Xva, yva = X[:1200], y[:1200], X[1200:], y[1200:]

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()
best, patience, bad, epoch = float("inf"), 5, 0, 0
while bad < patience and epoch < 25:
    perm = torch.randperm(1200)
    for s in range(0, 1200, 50):
        i = perm[s:s + 50]
        opt.zero_grad()
        loss = loss_fn(model(Xtr[i]), ytr[i])
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = loss_fn(model(Xva), yva).item()
    if val < best * (1 - 1e-3):
        best, bad = val, 0
    else:
        bad += 1
    epoch += 1
    print(f"epoch {epoch} train_mse {loss.item():.1f} val_mse {val:.1f}")
print(f"FINAL rmse_kwh {best ** 0.5:.1f}")
