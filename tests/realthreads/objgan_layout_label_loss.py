"""Obj-GAN-style box generator: an LSTM reads a caption and emits, step by step, the label of
the next object in the layout; the label loss feeds softmax probabilities to NLLLoss.

Thread: https://github.com/jamesli1618/Obj-GAN/issues/30
User saw: in the bbox generation model "before NLLLoss you just use softmax function without
  torch.log, so the value of lloss is always a negative number".
Cause (thread): NLLLoss on probabilities computes -P instead of -log P.
Fix (thread): "correct the label loss from -P to -logP" (a reply that reproduced the results).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(19)
N_WORDS, N_LABELS, CAP_LEN, N_OBJ = 30, 6, 8, 4


def make_layouts(n):
    # objects in the layout are the labels mentioned in the caption, sorted by their label id
    labels = torch.stack([torch.randperm(N_LABELS)[:N_OBJ].sort().values for _ in range(n)])
    caption = torch.randint(N_LABELS, N_WORDS, (n, CAP_LEN))
    slots = torch.stack([torch.randperm(CAP_LEN)[:N_OBJ] for _ in range(n)])
    caption.scatter_(1, slots, labels)
    return caption, labels


class BBoxGenerator(nn.Module):
    def __init__(self, hid=64):
        super().__init__()
        self.word_emb = nn.Embedding(N_WORDS, 32)
        self.text_enc = nn.LSTM(32, hid, batch_first=True)
        self.label_emb = nn.Embedding(N_LABELS + 1, 16)  # + start token
        self.decoder = nn.LSTMCell(16 + hid, hid)
        self.label_out = nn.Linear(hid, N_LABELS)

    def forward(self, caption, prev_labels):
        enc, (h, c) = self.text_enc(self.word_emb(caption))
        ctx, h, c = enc.mean(1), h[0], c[0]
        outs = []
        for t in range(prev_labels.size(1)):
            h, c = self.decoder(torch.cat([self.label_emb(prev_labels[:, t]), ctx], 1), (h, c))
            outs.append(F.softmax(self.label_out(h), dim=-1))
        return torch.stack(outs, 1)  # (n, steps, N_LABELS) label probabilities


def teacher_inputs(labels):
    start = torch.full((labels.size(0), 1), N_LABELS)
    return torch.cat([start, labels[:, :-1]], 1)


cap_train, lab_train = make_layouts(1024)
cap_test, lab_test = make_layouts(256)
model = BBoxGenerator()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
nll = nn.NLLLoss()
for epoch in range(6):
    for i in range(0, len(cap_train), 32):
        cap, lab = cap_train[i:i + 32], lab_train[i:i + 32]
        probs = model(cap, teacher_inputs(lab))
        lloss = nll(probs.reshape(-1, N_LABELS), lab.reshape(-1))
        optimizer.zero_grad()
        lloss.backward()
        optimizer.step()
    print(f"epoch {epoch} label loss {lloss.item():.4f}")
with torch.no_grad():
    pred = model(cap_test, teacher_inputs(lab_test)).argmax(-1)
print(f"FINAL acc {(pred == lab_test).float().mean().item():.3f}")
