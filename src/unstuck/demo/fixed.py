# The same network with the shapes fixed: it learns.

import torch

torch.manual_seed(0)
X = torch.randn(1024, 11)                            # 11 features
y = X @ torch.randn(11) + 0.5 * torch.sin(3 * X[:, 0])   # shape [N]

model = torch.nn.Sequential(torch.nn.Linear(11, 64), torch.nn.ReLU(),
                            torch.nn.Linear(64, 64), torch.nn.ReLU(),
                            torch.nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(300):
    pred = model(X)                                  # shape [N, 1]
    loss = torch.nn.functional.mse_loss(pred.squeeze(-1), y)  # [N] vs [N]
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 100 == 0 or epoch == 299:
        print(f"epoch {epoch:3d}  loss {loss.item():.3f}  "
              f"prediction std {pred.std().item():.3f}")
