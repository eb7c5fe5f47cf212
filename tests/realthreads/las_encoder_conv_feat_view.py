"""Listen-Attend-Spell style speech encoder: conv features (batch, channels, freq, time) are
reshaped to (batch, time, channels*freq) for the BiLSTM with .view, no permute.

Thread: https://github.com/sooftware/kospeech/pull/82
User saw: the encoder did
  conv_feat.contiguous().view(batch_size, seq_length, num_channels * hidden_dim)
  on a B x D x C x T tensor.
Cause (thread, maintainer review): "a BxDxCxT tensor cannot become BxTxCxD with view" - time
  frames and feature values get interleaved.
Fix (thread): permute first (time axis next to the batch), then view.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
FREQ, T, N_WORDS = 16, 24, 4


def make_utterances(n):
    # a "spectrogram": a tone rises or falls in frequency over time, at one of two speeds
    word = torch.randint(0, N_WORDS, (n,))
    spec = 0.3 * torch.randn(n, 1, FREQ, T)
    t = torch.arange(T)
    start = torch.randint(0, FREQ, (n,))
    direction = torch.where(word % 2 == 0, 1, -1)
    speed = torch.where(word < 2, 1, 2)
    f = (start[:, None] + direction[:, None] * ((speed[:, None] * t[None]) // 3)) % FREQ
    spec[torch.arange(n)[:, None], 0, f, t[None]] += 2.0
    return spec, word


class Listener(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                  nn.MaxPool2d((2, 1)))
        self.rnn = nn.LSTM(8 * (FREQ // 2), 32, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(64, N_WORDS)

    def forward(self, inputs):
        conv_feat = self.conv(inputs)  # B x C x D x T
        batch_size, num_channels, hidden_dim, seq_length = conv_feat.size()
        conv_feat = conv_feat.contiguous().view(batch_size, seq_length, num_channels * hidden_dim)
        outputs, _ = self.rnn(conv_feat)
        return self.fc(outputs.mean(1))


x_train, y_train = make_utterances(1024)
x_test, y_test = make_utterances(256)
model = Listener()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, len(x_train), 32):
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[i:i + 32]), y_train[i:i + 32])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(1) == y_test).float().mean().item():.3f}")
