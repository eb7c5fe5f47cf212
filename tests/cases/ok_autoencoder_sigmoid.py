# Autoencoder on [0, 1] data with a sigmoid output and BCE; encoder and decoder have
# separate optimizers.
import torch
import torch.nn as nn

torch.manual_seed(45)
basis = torch.rand(4, 30)
data = (torch.rand(800, 4) @ basis / 2).clamp(0, 1)
encoder = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 4))
decoder = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 30), nn.Sigmoid())
opt_e = torch.optim.Adam(encoder.parameters(), lr=2e-3)
opt_d = torch.optim.Adam(decoder.parameters(), lr=2e-3)
for epoch in range(10):
    for i in range(0, 800, 40):
        batch = data[i:i + 40]
        opt_e.zero_grad()
        opt_d.zero_grad()
        loss = nn.functional.binary_cross_entropy(decoder(encoder(batch)), batch)
        loss.backward()
        opt_e.step()
        opt_d.step()
    print(epoch, loss.item())
