"""Ion-mobility (CCS) regression from peptide sequences with an LSTM, as in a proteomics
tutorial: standardised targets, and a ReLU after the final linear layer.

Thread: https://github.com/ProteomicsML/ProteomicsML/pull/203
User saw: "I got LSTM network returning constantly 0 for all peptides in validation set."
Cause (thread): the ReLU activation on the final regression layer; when the pre-ReLU output is
  (almost) always negative, the output is 0 and the gradient vanishes - and a ReLU cannot
  produce the negative half of the (standardised) targets anyway.
Fix (thread): do not use ReLU on the final regression layer.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(28)
N_AA, MAX_LEN = 20, 12


def make_peptides(n):
    seq = torch.randint(0, N_AA, (n, MAX_LEN))
    mass = torch.linspace(0.5, 2.0, N_AA)
    ccs = mass[seq].sum(1) + 0.5 * (seq[:, 0] < 5).float() + 0.1 * torch.randn(n)
    return seq, ccs


seq_train, ccs_train = make_peptides(1536)
seq_test, ccs_test = make_peptides(384)
mean, std = ccs_train.mean(), ccs_train.std()
y_train, y_test = (ccs_train - mean) / std, (ccs_test - mean) / std


class CCSModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(N_AA, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True, bidirectional=True)
        self.fc = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1), nn.ReLU())

    def forward(self, seq):
        out, _ = self.lstm(self.emb(seq))
        return self.fc(out.mean(1)).squeeze(1)


model = CCSModel()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    for i in range(0, len(seq_train), 64):
        optimizer.zero_grad()
        loss = F.mse_loss(model(seq_train[i:i + 64]), y_train[i:i + 64])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"FINAL mse {F.mse_loss(model(seq_test), y_test).item():.4f}")
