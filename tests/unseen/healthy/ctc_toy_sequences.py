# CTC on a toy transcription task: each input sequence is a noisy one-hot rendering of a
# label string where every symbol is repeated for 2-4 frames; a bidirectional GRU emits
# per-frame log-probabilities in [T, B, C] order with blank = 0, trained with nn.CTCLoss.
import torch
import torch.nn as nn

torch.manual_seed(17)
C = 6  # 5 symbols + blank
B = 32


def make_batch(bsz):
    feats, targets, in_lens, tgt_lens = [], [], [], []
    for _ in range(bsz):
        n = int(torch.randint(2, 6, ()))
        labels = torch.randint(1, C, (n,))
        frames = torch.cat([l.repeat(int(torch.randint(2, 5, ()))) for l in labels])
        x = nn.functional.one_hot(frames, C).float() + 0.3 * torch.randn(len(frames), C)
        feats.append(x)
        targets.append(labels)
        in_lens.append(len(frames))
        tgt_lens.append(n)
    x = nn.utils.rnn.pad_sequence(feats)              # [T, B, C]
    return x, torch.cat(targets), torch.tensor(in_lens), torch.tensor(tgt_lens)


class Transcriber(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(C, 32, bidirectional=True)  # time-major
        self.proj = nn.Linear(64, C)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.proj(h).log_softmax(dim=-1)       # [T, B, C]


model = Transcriber()
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
val = make_batch(64)


def val_loss():
    with torch.no_grad():
        x, t, il, tl = val
        return ctc(model(x), t, il, tl).item()


first = val_loss()
for step in range(80):
    x, t, il, tl = make_batch(B)
    loss = ctc(model(x), t, il, tl)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val_loss()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
