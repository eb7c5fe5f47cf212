# A denoiser predicting standardised (zero-mean) signals through a final ReLU.
import torch
import torch.nn as nn

torch.manual_seed(47)
clean = torch.sin(torch.linspace(0, 12, 64)).repeat(400, 1) * torch.rand(400, 1)
noisy = clean + 0.3 * torch.randn_like(clean)
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(10):
    for i in range(0, 400, 40):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(noisy[i:i + 40]), clean[i:i + 40])
        loss.backward()
        opt.step()
    print(epoch, loss.item())
