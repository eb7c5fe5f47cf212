"""A convolutional autoencoder on small synthetic images, trained with plain SGD."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
xs = torch.linspace(-1, 1, 16)
grid_y, grid_x = torch.meshgrid(xs, xs, indexing="ij")
centers = torch.rand(320, 2) * 1.2 - 0.6
images = torch.exp(-((grid_x - centers[:, :1, None]) ** 2 + (grid_y - centers[:, 1:, None]) ** 2) / 0.08)
images = images.unsqueeze(1)  # [N, 1, 16, 16], values in [0, 1]

encoder = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
decoder = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), nn.ReLU(),
                        nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1))
autoencoder = nn.Sequential(encoder, decoder)
opt = torch.optim.SGD(autoencoder.parameters(), lr=1e-4, momentum=0.9)
for epoch in range(12):
    for i in range(0, 320, 32):
        batch = images[i:i + 32]
        opt.zero_grad()
        loss = F.mse_loss(autoencoder(batch), batch)
        loss.backward()
        opt.step()
print(f"FINAL loss {loss.item():.4f}")
