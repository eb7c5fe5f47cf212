"""Autoencoder with tied weights: the decoder reuses the encoder matrices transposed
(F.linear(h, W.t())) and has only its own biases; data on a 4-d nonlinear manifold in 40-d."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
N, D, K = 3000, 40, 4
z = torch.randn(N, K)
A = torch.randn(K, D) / 2
X = torch.tanh(z @ A) + 0.05 * torch.randn(N, D)
X = (X - X.mean(0)) / X.std(0)


class TiedAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.W1 = nn.Parameter(torch.randn(24, D) / D ** 0.5)
        self.W2 = nn.Parameter(torch.randn(6, 24) / 24 ** 0.5)
        self.b_enc1 = nn.Parameter(torch.zeros(24))
        self.b_enc2 = nn.Parameter(torch.zeros(6))
        self.b_dec1 = nn.Parameter(torch.zeros(24))
        self.b_dec2 = nn.Parameter(torch.zeros(D))

    def forward(self, x):
        h = torch.tanh(F.linear(x, self.W1, self.b_enc1))
        code = F.linear(h, self.W2, self.b_enc2)
        h2 = torch.tanh(F.linear(code, self.W2.t(), self.b_dec1))
        return F.linear(h2, self.W1.t(), self.b_dec2)


model = TiedAE()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(25):
    perm = torch.randperm(N)
    total = 0.0
    for i in range(0, N, 100):
        xb = X[perm[i:i + 100]]
        loss = F.mse_loss(model(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    if epoch in (0, 24):
        print(f"epoch {epoch} recon mse {total / 30:.4f}")
print(f"FINAL recon_mse {total / 30:.4f}")
