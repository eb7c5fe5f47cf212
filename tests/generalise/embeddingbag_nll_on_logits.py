"""Text classification with nn.EmbeddingBag over variable-length documents (offsets)."""
import torch
import torch.nn as nn

torch.manual_seed(10)
VOCAB, CLASSES = 50, 3
docs, labels = [], []
for _ in range(600):
    c = torch.randint(0, CLASSES, ()).item()
    length = torch.randint(4, 12, ()).item()
    words = torch.randint(0, VOCAB, (length,))
    words[: length // 2] = torch.randint(c * 10, c * 10 + 10, (length // 2,))  # class keywords
    docs.append(words)
    labels.append(c)
labels = torch.tensor(labels)


def batchify(idx):
    text = torch.cat([docs[i] for i in idx])
    offsets = torch.tensor([0] + [len(docs[i]) for i in idx[:-1]]).cumsum(0)
    return text, offsets, labels[idx]


class TextModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 16, mode="mean")
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, text, offsets):
        return self.fc(self.bag(text, offsets))


model = TextModel()
criterion = nn.NLLLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(6):
    for s in range(0, 480, 32):
        text, offsets, y = batchify(list(range(s, s + 32)))
        opt.zero_grad()
        loss = criterion(model(text, offsets), y)
        loss.backward()
        opt.step()
with torch.no_grad():
    text, offsets, y = batchify(list(range(480, 600)))
    acc = (model(text, offsets).argmax(1) == y).float().mean().item()
print(f"FINAL acc {acc:.3f}")
