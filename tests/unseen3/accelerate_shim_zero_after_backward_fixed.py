"""Text-ish classification with an accelerate-like shim (Accelerator.prepare / .backward,
gather for metrics), an EmbeddingBag model and a linear warm-up scheduler, the loop shaped
like the Hugging Face examples."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Accelerator:
    def __init__(self, gradient_accumulation_steps=1):
        self.device = torch.device("cpu")
        self.sync_gradients = True

    def prepare(self, *objs):
        return objs

    def backward(self, loss):
        loss.backward()

    def clip_grad_norm_(self, params, max_norm):
        return torch.nn.utils.clip_grad_norm_(params, max_norm)

    def gather(self, t):
        return t

    def print(self, *a):
        print(*a)


def get_linear_schedule_with_warmup(opt, warmup, total):
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))


torch.manual_seed(0)
VOCAB, L, N = 200, 12, 2000
tokens = torch.randint(0, VOCAB, (N, L))
labels = ((tokens < 40).sum(1) > (tokens >= 160).sum(1)).long()  # which keyword group dominates


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 32, mode="mean")
        self.fc = nn.Linear(32, 2)

    def forward(self, input_ids):
        return self.fc(self.bag(input_ids))


accelerator = Accelerator()
model = BagClassifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-2)
train_dl = DataLoader(TensorDataset(tokens[:1600], labels[:1600]), batch_size=32, shuffle=True)
epochs = 4
lr_scheduler = get_linear_schedule_with_warmup(optimizer, 20, epochs * len(train_dl))
model, optimizer, train_dl, lr_scheduler = accelerator.prepare(model, optimizer, train_dl, lr_scheduler)

for epoch in range(epochs):
    model.train()
    for step, (input_ids, y) in enumerate(train_dl):
        outputs = model(input_ids)
        loss = F.cross_entropy(outputs, y)
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        preds = accelerator.gather(model(tokens[1600:]).argmax(1))
    acc = (preds == labels[1600:]).float().mean().item()
    accelerator.print(f"epoch {epoch} loss {loss.item():.3f} eval_acc {acc:.3f}")
print(f"FINAL acc {acc:.3f}")
