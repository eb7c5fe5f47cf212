# Full-batch curve fitting with L-BFGS and a strong-Wolfe line search (closure API).
import math
import torch

torch.manual_seed(17)
t = torch.linspace(0, 4 * math.pi, 400).unsqueeze(1)
target = torch.exp(-0.2 * t) * torch.sin(1.5 * t) + 0.02 * torch.randn_like(t)
model = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                            torch.nn.Tanh(), torch.nn.Linear(32, 1))
opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=20, history_size=20,
                        line_search_fn="strong_wolfe")
scale = t.max()


def closure():
    opt.zero_grad()
    loss = torch.mean((model(t / scale) - target) ** 2)
    loss.backward()
    return loss


first = closure().item()
for it in range(15):
    loss = opt.step(closure)
final = closure().item()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
