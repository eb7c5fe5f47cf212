"""The fixed twin of conv_sigmoid_scores_cross_entropy.py: the forward returns the raw
class scores (logits) and F.cross_entropy applies the softmax."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(h.flatten(1))


torch.manual_seed(5)
protos = torch.randn(10, 1, 14, 14)
labels = torch.randint(0, 10, (1200,))
images = protos[labels] + 0.5 * torch.randn(1200, 1, 14, 14)
net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for epoch in range(4):
    perm = torch.randperm(1200)
    for i in range(0, 1200, 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = F.cross_entropy(net(images[idx]), labels[idx])
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 3))
