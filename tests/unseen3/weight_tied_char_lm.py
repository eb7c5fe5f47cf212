"""Character language model with the output projection tied to the input embedding
(`self.decoder.weight = self.encoder.weight`), LSTM, AdamW and gradient clipping."""
import torch
import torch.nn as nn

torch.manual_seed(3)
text = ("the quick brown fox jumps over the lazy dog. " * 3 +
        "a stitch in time saves nine. all that glitters is not gold. ") * 20
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text])
V, D, T = len(chars), 48, 24


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(V, D)
        self.rnn = nn.LSTM(D, D, batch_first=True)
        self.decoder = nn.Linear(D, V)
        self.decoder.weight = self.encoder.weight  # weight tying

    def forward(self, idx):
        h, _ = self.rnn(self.encoder(idx))
        return self.decoder(h)


def get_batch(b=32):
    starts = torch.randint(0, len(data) - T - 1, (b,))
    x = torch.stack([data[s:s + T] for s in starts])
    y = torch.stack([data[s + 1:s + T + 1] for s in starts])
    return x, y


lm = TiedLM()
opt = torch.optim.AdamW(lm.parameters(), lr=5e-3, weight_decay=0.01)
crit = nn.CrossEntropyLoss()
for it in range(250):
    x, y = get_batch()
    logits = lm(x)
    loss = crit(logits.view(-1, V), y.view(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(lm.parameters(), 0.5)
    opt.step()
    if it == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
print(f"FINAL loss {loss.item():.3f}")
