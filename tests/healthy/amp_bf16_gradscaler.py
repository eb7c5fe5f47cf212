"""Mixed precision on CPU: bfloat16 autocast with a GradScaler, the same loop people
run on GPUs with float16, including unscale_ before gradient clipping."""
import torch
from torch import nn

torch.manual_seed(4)
model = nn.Sequential(nn.Linear(20, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(), nn.Linear(128, 5))
opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)
W = torch.randn(20, 5)
X = torch.randn(1024, 20)
Y = (X @ W + 0.3 * torch.randn(1024, 5)).argmax(1)

losses = []
for epoch in range(5):
    for xb, yb in zip(X.split(128), Y.split(128)):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(scaler.get_scale()), repr(checksum))
