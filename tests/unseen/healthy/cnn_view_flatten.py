# A small LeNet-style CNN on synthetic 12x12 "glyphs" (bars, crosses, boxes, diagonals)
# with the classic `x.view(x.size(0), -1)` flattening between the conv stack and the MLP,
# BatchNorm2d + Dropout, and model.train()/model.eval() switched around evaluation.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(30)
S = 12


def glyphs(n):
    imgs = torch.zeros(n, 1, S, S)
    k = torch.randint(0, 4, (n,))
    for i in range(n):
        r, c = torch.randint(2, S - 2, (2,)).tolist()
        if k[i] == 0:
            imgs[i, 0, r, :] = 1
        elif k[i] == 1:
            imgs[i, 0, r, :] = 1
            imgs[i, 0, :, c] = 1
        elif k[i] == 2:
            imgs[i, 0, 2:S - 2, 2] = imgs[i, 0, 2:S - 2, S - 3] = 1
            imgs[i, 0, 2, 2:S - 2] = imgs[i, 0, S - 3, 2:S - 2] = 1
        else:
            imgs[i, 0] = torch.eye(S).roll(int(c) - S // 2, 1)
    return imgs + 0.2 * torch.randn_like(imgs), k


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 3 * 3, 32)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # [B, 8, 6, 6]
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)              # [B, 16, 3, 3]
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
xtr, ytr = glyphs(480)
xte, yte = glyphs(160)


def test():
    net.eval()
    with torch.no_grad():
        return F.cross_entropy(net(xte), yte).item()


first = test()
for epoch in range(5):
    net.train()
    for b in torch.randperm(480).split(32):
        opt.zero_grad()
        F.cross_entropy(net(xtr[b]), ytr[b]).backward()
        opt.step()
final = test()
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
