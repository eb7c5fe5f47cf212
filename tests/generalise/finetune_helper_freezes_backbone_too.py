"""Fine-tuning recipe: the optimizer is built from whatever is left trainable after freezing."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def freeze_norm_layers(module):
    """Keep batch-norm statistics and affine parameters fixed while fine-tuning."""
    for layer in module.modules():
        if isinstance(layer, (nn.BatchNorm1d, nn.LayerNorm)):
            layer.eval()
            module.requires_grad_(False)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(12, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU())
        self.classifier = nn.Linear(48, 4)
        self.logit_scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return self.classifier(self.features(x)) * self.logit_scale


torch.manual_seed(5)
X = torch.randn(960, 12)
y = (X[:, :5] @ torch.randn(5, 4)).argmax(1)
model = Classifier()
freeze_norm_layers(model)
model.logit_scale.requires_grad_(True)
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.SGD(trainable, lr=0.05, momentum=0.9)
for epoch in range(8):
    for i in range(0, 768, 64):
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
model.eval()
with torch.no_grad():
    acc = (model(X[768:]).argmax(1) == y[768:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
