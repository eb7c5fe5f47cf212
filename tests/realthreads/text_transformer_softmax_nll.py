"""Transformer text classifier (Text-Classification-Models-Pytorch style): the model ends in
nn.Softmax and is trained with nn.NLLLoss.

Thread: https://github.com/AnubhavGupta3377/Text-Classification-Models-Pytorch/issues/9
User saw: "the loss is always negative".
Cause (thread): nn.NLLLoss expects log-probabilities (the output of LogSoftmax), but model.py only
  applies softmax.
Fix (thread): use LogSoftmax at the end of the model (per the NLLLoss documentation).
"""
import torch
import torch.nn as nn

torch.manual_seed(18)
VOCAB, SEQ, D, N_CLASSES = 60, 16, 32, 4


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(0.02 * torch.randn(SEQ, D))
        self.encoder = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.fc = nn.Linear(D, N_CLASSES)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        h = self.encoder(self.src_embed(x) + self.pos)
        return self.softmax(self.fc(h.mean(1)))


def make_docs(n):
    # class = which of four topic-word groups is most frequent
    x = torch.randint(0, VOCAB, (n, SEQ))  # topic words of other classes appear as noise
    y = torch.randint(0, N_CLASSES, (n,))
    for i in range(n):
        k = int(torch.randint(1, 3, (1,)))
        x[i, torch.randperm(SEQ)[:k]] = y[i] * 5 + torch.randint(0, 5, (k,))
    return x, y


x_train, y_train = make_docs(1024)
x_test, y_test = make_docs(256)
model = Transformer()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.NLLLoss()
for epoch in range(5):
    model.train()
    for i in range(0, len(x_train), 32):
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[i:i + 32]), y_train[i:i + 32])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(1) == y_test).float().mean().item():.3f}")
