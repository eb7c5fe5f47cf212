"""IMDB-style sentiment GRU fed [batch, seq] token batches, GRU left at batch_first=False.

Thread: https://github.com/pytorch/pytorch/issues/2674
User saw: an LSTM/GRU sentiment model on IMDB trained far worse in PyTorch than the same
  model in other frameworks.
Cause (thread): the generator yields (BATCHSIZE, 150) token batches, so the embedded input is
  (batch, seq, emb), but the GRU was built with the default batch_first=False and reads the
  batch axis as time.
Fix (thread): pass batch_first=True to the GRU (or transpose the data to (150, BATCHSIZE)).
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
VOCAB, SEQ, EMB, HID, BATCH = 50, 20, 16, 32, 32
POS, NEG = list(range(2, 6)), list(range(6, 10))


def make_reviews(n):
    x = torch.randint(10, VOCAB, (n, SEQ))
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        words = POS if y[i] == 1 else NEG
        slots = torch.randperm(SEQ)[:4]
        x[i, slots] = torch.tensor(words)[torch.randint(0, 4, (4,))]
    return x, y


class SymbolModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB)
        self.gru = nn.GRU(input_size=EMB, hidden_size=HID, num_layers=1)
        self.l_out = nn.Linear(HID, 2)

    def forward(self, x):
        x = self.embedding(x)
        x, h = self.gru(x)
        x = x[:, -1, :]  # just get the last hidden state
        return self.l_out(x)


x_train, y_train = make_reviews(1024)
x_test, y_test = make_reviews(256)
model = SymbolModule()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(6):
    for i in range(0, len(x_train), BATCH):
        optimizer.zero_grad()
        loss = criterion(model(x_train[i:i + BATCH]), y_train[i:i + BATCH])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    pred = torch.cat([model(x_test[i:i + BATCH]).argmax(1) for i in range(0, len(x_test), BATCH)])
print(f"FINAL acc {(pred == y_test).float().mean().item():.3f}")
