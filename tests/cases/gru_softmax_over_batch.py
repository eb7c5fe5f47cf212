# A GRU sequence classifier; the softmax runs over dim 0, which is the batch.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(32)
seqs = torch.randn(480, 15, 4)
labels = (seqs[:, :, 0].mean(1) > 0).long() + (seqs[:, :, 1].mean(1) > 0).long()


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 24, batch_first=True)
        self.head = nn.Linear(24, 3)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.head(h[-1])


model = Classifier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    for i in range(0, 480, 48):
        probs = F.softmax(model(seqs[i:i + 48]), dim=0)
        loss = F.nll_loss(torch.log(probs), labels[i:i + 48])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())
