# A small residual CNN with batch-norm and an epoch-based StepLR stepped once per epoch.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(46)


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), Res(8), Res(8), nn.AdaptiveAvgPool2d(1),
                    nn.Flatten(), nn.Linear(8, 3))
protos = torch.randn(3, 1, 8, 8)
labels = torch.randint(0, 3, (480,))
images = protos[labels] + 0.7 * torch.randn(480, 1, 8, 8)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
for epoch in range(5):
    net.train()
    for i in range(0, 480, 32):
        opt.zero_grad()
        loss = F.cross_entropy(net(images[i:i + 32]), labels[i:i + 32])
        loss.backward()
        opt.step()
    sched.step()
    print(epoch, loss.item())
