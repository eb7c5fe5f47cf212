"""LRCN activity recognition: a small CNN per frame, an LSTM over the frames, a linear layer and a
Softmax at the end of the model, trained with nn.CrossEntropyLoss.

Thread: https://github.com/doronharitan/human_activity_recognition_LRCN/issues/4
User saw: the model ends with a Softmax although the loss is CrossEntropyLoss - "wouldn't this
  cause issues in your loss calculation and hence performance?"
Cause (thread): CrossEntropyLoss already includes the softmax; a reply confirms that removing the
  softmax layer made the model converge faster.
Fix (thread): remove the Softmax layer from the model.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(15)
N_CLASSES, FRAMES, S = 5, 6, 12


def make_clips(n):
    # a bright blob moving in one of five ways over the frames
    label = torch.randint(0, N_CLASSES, (n,))
    moves = torch.tensor([[0, 1], [0, -1], [1, 0], [-1, 0], [0, 0]])
    start = torch.randint(3, S - 3, (n, 2))
    clips = 0.3 * torch.randn(n, FRAMES, 1, S, S)
    for t in range(FRAMES):
        pos = (start + moves[label] * (t // 2)).clamp(0, S - 1)
        clips[torch.arange(n), t, 0, pos[:, 0], pos[:, 1]] += 2.5
    return clips, label


class ConvLstm(nn.Module):
    def __init__(self, latent_dim=32, hidden_size=32):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(8 * 3 * 3, latent_dim))
        self.lstm = nn.LSTM(latent_dim, hidden_size, batch_first=True)
        self.output_layer = nn.Sequential(nn.Linear(hidden_size, N_CLASSES), nn.Softmax(dim=-1))

    def forward(self, x):
        b, t = x.shape[:2]
        feats = self.conv(x.reshape(b * t, *x.shape[2:])).view(b, t, -1)
        out, _ = self.lstm(feats)
        return self.output_layer(out[:, -1])


x_train, y_train = make_clips(768)
x_test, y_test = make_clips(256)
model = ConvLstm()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(6):
    for i in range(0, len(x_train), 32):
        optimizer.zero_grad()
        loss = criterion(model(x_train[i:i + 32]), y_train[i:i + 32])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(1) == y_test).float().mean().item():.3f}")
