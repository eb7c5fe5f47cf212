"""Prompt tuning (Lester et al. 2021) on a small frozen transformer.

Stage 1 pre-trains a one-layer transformer encoder on "lookup" tasks: the first token names
the task t, and the answer is the token at position t of the 8-token body. Tasks 0-3 are
seen in pre-training with their task tokens.
Stage 2 freezes the whole model (`requires_grad_(False)`, kept in eval mode) and learns only
a soft prompt of 4 vectors that replaces the task token, for task 5, which the model never
saw. The optimizer holds just the prompt.
Metric: task-5 accuracy with the initial prompt (the mean task embedding) and after tuning;
chance is 1/8.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, BODY, D, N_TASKS = 8, 8, 32, 6


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB + N_TASKS, D)
        self.pos = nn.Parameter(torch.randn(1, 16, D) * 0.1)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.1,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.out = nn.Linear(D, VOCAB)

    def embed_body(self, body):
        return self.tok(body)

    def forward_embeddings(self, prefix, body_emb):
        h = torch.cat([prefix, body_emb], dim=1)
        h = h + self.pos[:, :h.shape[1]]
        h = self.encoder(h)
        return self.out(h[:, 0])

    def forward(self, task, body):
        prefix = self.tok(VOCAB + task).unsqueeze(1)
        return self.forward_embeddings(prefix, self.embed_body(body))


def batch(n, tasks):
    task = tasks[torch.randint(0, len(tasks), (n,))]
    body = torch.randint(0, VOCAB, (n, BODY))
    return task, body, body[torch.arange(n), task]


model = TinyEncoder()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
seen = torch.tensor([0, 1, 2, 3])
model.train()
for step in range(120):
    task, body, y = batch(64, seen)
    loss = F.cross_entropy(model(task, body), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    model.eval()
    task, body, y = batch(1000, seen)
    print(f"pre-training done: seen-task accuracy {(model(task, body).argmax(1) == y).float().mean():.3f}")

# ---- stage 2: prompt tuning for an unseen task -------------------------------------------
NEW_TASK = 5
model.requires_grad_(False)
model.eval()
prompt = nn.Parameter(model.tok.weight[VOCAB:].mean(0).detach().repeat(4, 1)
                      + 0.02 * torch.randn(4, D))
prompt_opt = torch.optim.Adam([prompt], lr=0.03)


def prompted_logits(body):
    prefix = prompt.unsqueeze(0).expand(body.shape[0], -1, -1)
    return model.forward_embeddings(prefix, model.embed_body(body))


@torch.no_grad()
def new_task_accuracy():
    body = torch.randint(0, VOCAB, (1000, BODY))
    return (prompted_logits(body).argmax(1) == body[:, NEW_TASK]).float().mean().item()


print(f"chance {1 / VOCAB:.3f}; task {NEW_TASK} accuracy with the initial prompt {new_task_accuracy():.3f}")
for step in range(150):
    body = torch.randint(0, VOCAB, (64, BODY))
    loss = F.cross_entropy(prompted_logits(body), body[:, NEW_TASK])
    prompt_opt.zero_grad()
    loss.backward()
    prompt_opt.step()
    if step % 50 == 0:
        print(f"prompt step {step:3d} loss {loss.item():.3f}")
print(f"FINAL task {NEW_TASK} accuracy {new_task_accuracy():.3f} with a tuned 4-vector prompt "
      f"({prompt.numel()} trained numbers; chance {1 / VOCAB:.3f})")
