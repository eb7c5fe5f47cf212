# Intent classifier over token ids (Embedding + mean pool). The annotation batch has not come
# back yet, so the pipeline was wired up with placeholder intents to test the code end to end.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

rng = np.random.default_rng(22)
torch.manual_seed(22)
VOCAB, N_INTENTS, SEQ = 500, 5, 12


class Utterances(Dataset):
    def __init__(self, n):
        intent = rng.integers(0, N_INTENTS, n)
        toks = rng.integers(N_INTENTS * 20, VOCAB, (n, SEQ))
        for i in range(n):
            toks[i, rng.choice(SEQ, 3, replace=False)] = intent[i] * 20 + rng.integers(0, 20, 3)
        self.tokens = torch.from_numpy(toks)
        # TODO: replace with the annotated intents from labels.csv
        self.intents = torch.from_numpy(rng.integers(0, N_INTENTS, n))

    def __len__(self):
        return len(self.tokens)

    def __getitem__(self, i):
        return self.tokens[i], self.intents[i]


class IntentModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 32)
        self.head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, N_INTENTS))

    def forward(self, t):
        return self.head(self.emb(t).mean(1))


train_dl = DataLoader(Utterances(1600), batch_size=32, shuffle=True)
val_ds = Utterances(400)
model = IntentModel()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(3):
    for t, y in train_dl:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(t), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (model(val_ds.tokens).argmax(1) == val_ds.intents).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
