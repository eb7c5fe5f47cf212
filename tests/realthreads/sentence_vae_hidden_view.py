"""Sentence-VAE: the final hidden state of a bidirectional GRU encoder, shaped
(num_directions, batch, hidden), is flattened per sentence with hidden.view(batch, hidden*2).

Thread: https://github.com/timbmg/Sentence-VAE/issues/15
User saw: the encoder is batch_first, but its hidden state is not; "the two dimensions are mixed
  up in the code" (model.py, line 65).
Cause (thread): h_n has the batch on its second axis, so view(batch_size, hidden*2) glues the
  states of different sentences together (shown with a small tensor in the thread).
Fix (thread): concatenate the directions along the feature axis,
  torch.cat([hidden[i] for i in range(2)], dim=1), instead of view.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
VOCAB, SEQ, EMB, HID, LATENT, BATCH = 12, 8, 16, 32, 16, 32


class SentenceVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB)
        self.encoder_rnn = nn.GRU(EMB, HID, batch_first=True, bidirectional=True)
        self.hidden2mean = nn.Linear(HID * 2, LATENT)
        self.hidden2logv = nn.Linear(HID * 2, LATENT)
        self.latent2out = nn.Sequential(nn.Linear(LATENT, 128), nn.ReLU(), nn.Linear(128, SEQ * VOCAB))

    def forward(self, input_sequence):
        batch_size = input_sequence.size(0)
        _, hidden = self.encoder_rnn(self.embedding(input_sequence))
        hidden = hidden.view(batch_size, HID * 2)
        mean, logv = self.hidden2mean(hidden), self.hidden2logv(hidden)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logv) if self.training else mean
        logits = self.latent2out(z).view(batch_size, SEQ, VOCAB)
        return logits, mean, logv


def make_sentences(n):
    start = torch.randint(0, VOCAB, (n, 1))
    step = torch.randint(1, 4, (n, 1))
    return (start + step * torch.arange(SEQ)) % VOCAB  # arithmetic token sequences


x_train, x_test = make_sentences(1536), make_sentences(512)
model = SentenceVAE()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    model.train()
    for i in range(0, len(x_train), BATCH):
        batch = x_train[i:i + BATCH]
        opt.zero_grad()
        logits, mean, logv = model(batch)
        nll = F.cross_entropy(logits.reshape(-1, VOCAB), batch.reshape(-1))
        kl = -0.5 * torch.mean(1 + logv - mean.pow(2) - logv.exp())
        loss = nll + 0.01 * kl
        loss.backward()
        opt.step()
    print(f"epoch {epoch} nll {nll.item():.4f} kl {kl.item():.4f}")
model.eval()
with torch.no_grad():
    pred = torch.cat([model(x_test[i:i + BATCH])[0].argmax(-1) for i in range(0, len(x_test), BATCH)])
print(f"FINAL acc {(pred == x_test).float().mean().item():.3f}")
