# Character-level-ish sequence classifier: LSTM, packed sequences, clip_grad_norm_
# and clip_grad_value_, ReduceLROnPlateau on the epoch loss.
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

torch.manual_seed(9)
VOCAB, EMB, HID = 12, 16, 32


def make_example():
    n = int(torch.randint(3, 15, (1,)))
    seq = torch.randint(1, VOCAB, (n,))
    return seq, int((seq == 3).sum() > (seq == 7).sum())


data = [make_example() for _ in range(256)]


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.rnn = nn.LSTM(EMB, HID, batch_first=True)
        self.out = nn.Linear(HID, 2)

    def forward(self, seqs, lengths):
        packed = pack_padded_sequence(self.emb(seqs), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)
        return self.out(h[-1])


model = Counter()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
epoch_loss = []
for epoch in range(6):
    total = 0.0
    for k in range(0, len(data), 32):
        chunk = data[k:k + 32]
        seqs = pad_sequence([s for s, _ in chunk], batch_first=True)
        lengths = torch.tensor([len(s) for s, _ in chunk])
        labels = torch.tensor([c for _, c in chunk])
        loss = nn.functional.cross_entropy(model(seqs, lengths), labels)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 5.0)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        total += loss.item() * len(chunk)
    epoch_loss.append(total / len(data))
    sched.step(epoch_loss[-1])
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(epoch_loss[0]), repr(epoch_loss[-1]), repr(checksum))
