"""A small class-based Trainer in the style of home-grown training frameworks: the loop calls
callbacks at on_train_begin / on_batch_end / on_epoch_end, and the callbacks do the rest
(a ReduceLROnPlateau driven by the validation loss, a best-checkpoint keeper that restores the
best state_dict at the end, a history logger). Data are variable-length token sequences
(reviews): a custom Sampler groups indices of similar length into buckets and yields batches,
and a collate_fn pads them and returns a dict {"tokens", "mask", "label"}. The model is an
embedding + masked mean/max pooling + MLP; the label is whether "positive" tokens outnumber
"negative" tokens, with negation tokens flipping the next word. Metric: validation accuracy
against the majority class.
"""
import copy
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

torch.manual_seed(12)
random.seed(12)
V, PAD, NOT = 200, 0, 1
POS, NEG = list(range(2, 22)), list(range(22, 42))


def make_review():
    n = random.randint(5, 40)
    toks = [random.randint(42, V - 1) for _ in range(n)]
    for _ in range(random.randint(1, 5)):
        toks[random.randrange(n)] = random.choice(POS + NEG)
    for _ in range(random.randint(0, 2)):
        j = random.randrange(n - 1)
        toks[j] = NOT
    score, flip = 0, False
    for t in toks:
        if t == NOT:
            flip = True
            continue
        s = 1 if t in POS else -1 if t in NEG else 0
        score += -s if flip else s
        flip = False
    return toks, int(score > 0)


class Reviews(Dataset):
    def __init__(self, n):
        self.items = [make_review() for _ in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class BucketBatchSampler(Sampler):
    def __init__(self, lengths, batch_size, shuffle=True):
        self.lengths, self.bs, self.shuffle = lengths, batch_size, shuffle

    def __iter__(self):
        idx = sorted(range(len(self.lengths)), key=lambda i: self.lengths[i] + (random.random() if self.shuffle else 0))
        batches = [idx[i:i + self.bs] for i in range(0, len(idx), self.bs)]
        if self.shuffle:
            random.shuffle(batches)
        return iter(batches)

    def __len__(self):
        return (len(self.lengths) + self.bs - 1) // self.bs


def collate(batch):
    longest = max(len(t) for t, _ in batch)
    tokens = torch.full((len(batch), longest), PAD, dtype=torch.long)
    for i, (t, _) in enumerate(batch):
        tokens[i, :len(t)] = torch.tensor(t)
    return {"tokens": tokens, "mask": tokens != PAD, "label": torch.tensor([y for _, y in batch])}


class BagClassifier(nn.Module):
    def __init__(self, d=48):
        super().__init__()
        self.emb = nn.Embedding(V, d, padding_idx=PAD)
        self.bigram = nn.Conv1d(d, d, 2)
        self.mlp = nn.Sequential(nn.Linear(2 * d, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 2))

    def forward(self, tokens, mask):
        e = self.emb(tokens)
        h = F.relu(self.bigram(F.pad(e.transpose(1, 2), (1, 0)))).transpose(1, 2)
        m = mask.unsqueeze(-1).float()
        mean = (h * m).sum(1) / m.sum(1)
        mx = h.masked_fill(~mask.unsqueeze(-1), -1e4).max(1).values
        return self.mlp(torch.cat([mean, mx], -1))


class Callback:
    def on_train_begin(self, tr): pass
    def on_batch_end(self, tr, loss): pass
    def on_epoch_end(self, tr, logs): pass
    def on_train_end(self, tr): pass


class PlateauLR(Callback):
    def on_train_begin(self, tr):
        self.sched = torch.optim.lr_scheduler.ReduceLROnPlateau(tr.opt, factor=0.3, patience=1)

    def on_epoch_end(self, tr, logs):
        self.sched.step(logs["val_loss"])
        logs["lr"] = tr.opt.param_groups[0]["lr"]


class KeepBest(Callback):
    def on_train_begin(self, tr):
        self.best, self.state = float("inf"), None

    def on_epoch_end(self, tr, logs):
        if logs["val_loss"] < self.best:
            self.best, self.state = logs["val_loss"], copy.deepcopy(tr.model.state_dict())

    def on_train_end(self, tr):
        tr.model.load_state_dict(self.state)


class History(Callback):
    def on_train_begin(self, tr):
        self.running = []

    def on_batch_end(self, tr, loss):
        self.running.append(loss)

    def on_epoch_end(self, tr, logs):
        logs["train_loss"] = sum(self.running) / len(self.running)
        self.running = []
        print("epoch {epoch} train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.3f} lr {lr:.1e}".format(**logs))


class Trainer:
    def __init__(self, model, opt, callbacks):
        self.model, self.opt, self.callbacks = model, opt, callbacks

    def _emit(self, name, *args):
        for cb in self.callbacks:
            getattr(cb, name)(self, *args)

    def evaluate(self, loader):
        self.model.eval()
        total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for batch in loader:
                logits = self.model(batch["tokens"], batch["mask"])
                total += F.cross_entropy(logits, batch["label"], reduction="sum").item()
                correct += (logits.argmax(1) == batch["label"]).sum().item()
                n += len(batch["label"])
        return total / n, correct / n

    def fit(self, train_loader, val_loader, epochs):
        self._emit("on_train_begin")
        for epoch in range(epochs):
            self.model.train()
            for batch in train_loader:
                loss = F.cross_entropy(self.model(batch["tokens"], batch["mask"]), batch["label"])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                self._emit("on_batch_end", loss.item())
            val_loss, val_acc = self.evaluate(val_loader)
            self._emit("on_epoch_end", {"epoch": epoch, "val_loss": val_loss, "val_acc": val_acc})
        self._emit("on_train_end")


train_ds, val_ds = Reviews(5000), Reviews(1000)
train_dl = DataLoader(train_ds, batch_sampler=BucketBatchSampler([len(t) for t, _ in train_ds.items], 64), collate_fn=collate)
val_dl = DataLoader(val_ds, batch_sampler=BucketBatchSampler([len(t) for t, _ in val_ds.items], 256, shuffle=False), collate_fn=collate)
model = BagClassifier()
trainer = Trainer(model, torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2),
                  [PlateauLR(), KeepBest(), History()])
labels = torch.tensor([y for _, y in val_ds.items])
majority = max(labels.float().mean().item(), 1 - labels.float().mean().item())
print(f"majority {majority:.3f}; start val acc {trainer.evaluate(val_dl)[1]:.3f}")
trainer.fit(train_dl, val_dl, epochs=12)
print(f"FINAL val_acc {trainer.evaluate(val_dl)[1]:.3f} (majority {majority:.3f})")
