"""A hypernetwork: each task (a sine wave with its own amplitude, frequency and phase) has a
learned task embedding; the hypernetwork turns it into all the weights of a 1-32-1 target
MLP, which is evaluated in batch with torch.bmm. Only the embeddings and the hypernetwork
are parameters; the target network has none of its own."""
import torch
import torch.nn as nn

torch.manual_seed(3)
N_TASKS, H = 24, 32
amp = 0.5 + 1.5 * torch.rand(N_TASKS)
freq = 0.5 + 1.5 * torch.rand(N_TASKS)
phase = 3.14 * torch.rand(N_TASKS)
N_W = H + H + H + 1  # w1 [1,H], b1 [H], w2 [H,1], b2 [1]


def sample(tasks, n=40):
    xs = torch.rand(len(tasks), n, 1) * 8 - 4
    ys = amp[tasks, None, None] * torch.sin(freq[tasks, None, None] * xs + phase[tasks, None, None])
    return xs, ys


class HyperNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.task_emb = nn.Embedding(N_TASKS, 16)
        self.gen = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, N_W))
        with torch.no_grad():
            self.gen[-1].weight.mul_(0.3)

    def forward(self, tasks, xs):
        w = self.gen(self.task_emb(tasks))
        w1 = w[:, :H].view(-1, 1, H)
        b1 = w[:, H:2 * H].view(-1, 1, H)
        w2 = w[:, 2 * H:3 * H].view(-1, H, 1)
        b2 = w[:, 3 * H:].view(-1, 1, 1)
        h = torch.tanh(torch.bmm(xs, w1 * 3) + b1 * 3)
        return torch.bmm(h, w2) + b2


model = HyperNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
all_tasks = torch.arange(N_TASKS)
xe, ye = sample(all_tasks, 100)
evaluate = lambda: ((model(all_tasks, xe) - ye) ** 2).mean().item()
with torch.no_grad():
    print(f"start eval mse {evaluate():.3f} (target variance {ye.var().item():.3f})")
for step in range(500):
    tasks = torch.randint(0, N_TASKS, (8,))
    xs, ys = sample(tasks)
    loss = ((model(tasks, xs) - ys) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 125 == 0:
        print(f"step {step} mse {loss.item():.4f}")
with torch.no_grad():
    m = evaluate()
print(f"end eval mse {m:.4f}")
print(f"FINAL eval_mse {m:.4f}")
