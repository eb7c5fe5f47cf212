"""Fine-tuning a torchMoji-style sentence classifier (embedding -> two stacked biLSTMs ->
attention pooling over the concatenated layers -> linear head) on a 2-class sentiment task.

Thread: https://github.com/huggingface/torchMoji/issues/21
"loss don't go down when finetune ... Each epochs loss almost same"; the reporter first hit
`element 0 of tensors does not require grad and does not have a grad_fn` and silenced it
with `loss = Variable(loss, requires_grad=True)`. A later comment found the cause: the
model's forward ends with `if return_tensor: outputs = outputs.data`, which cuts the graph;
removing those lines made the loss improve.
FIXED twin of torchmoji_finetune_outputs_data.py: forward() returns the logits themselves
(the `outputs = outputs.data` lines are removed) and the loss is no longer re-wrapped in
Variable(..., requires_grad=True). Everything else is identical.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
V, L = 300, 24
POS, NEG = torch.arange(5, 25), torch.arange(25, 45)


def make(n):
    x = torch.randint(45, V, (n, L))
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        k = torch.randint(2, 5, (1,)).item()
        pos = torch.randperm(L)[:k]
        pool = POS if y[i] == 1 else NEG
        x[i, pos] = pool[torch.randint(0, len(pool), (k,))]
        if torch.rand(1).item() < 0.3:   # one distractor word of the other polarity
            other = NEG if y[i] == 1 else POS
            x[i, torch.randint(0, L, (1,))] = other[torch.randint(0, len(other), (1,))]
    return x, y


class Attention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.randn(d) * 0.05)

    def forward(self, h):
        scores = (h @ self.w).softmax(dim=1)              # over time steps, per sentence
        return (h * scores.unsqueeze(-1)).sum(1)


class TorchMojiLike(nn.Module):
    def __init__(self, n_classes=2, d=64, h=48, return_tensor=True):
        super().__init__()
        self.return_tensor = return_tensor
        self.embed = nn.Embedding(V, d)
        self.lstm_0 = nn.LSTM(d, h, batch_first=True, bidirectional=True)
        self.lstm_1 = nn.LSTM(2 * h, h, batch_first=True, bidirectional=True)
        self.attention = Attention(d + 4 * h)
        self.final_dropout = nn.Dropout(0.2)
        self.output_layer = nn.Linear(d + 4 * h, n_classes)

    def forward(self, tokens):
        e = torch.tanh(self.embed(tokens))
        h0, _ = self.lstm_0(e)
        h1, _ = self.lstm_1(h0)
        pooled = self.attention(torch.cat([h1, h0, e], dim=-1))
        outputs = self.output_layer(self.final_dropout(pooled))
        return outputs


x_tr, y_tr = make(3000)
x_te, y_te = make(1000)
model = TorchMojiLike()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


def accuracy():
    model.eval()
    with torch.no_grad():
        acc = (model(x_te).argmax(1) == y_te).float().mean().item()
    model.train()
    return acc


print(f"majority {max(y_te.float().mean().item(), 1 - y_te.float().mean().item()):.3f}; start acc {accuracy():.3f}")
for epoch in range(6):
    perm = torch.randperm(len(x_tr))
    total = 0.0
    for i in range(0, len(perm), 64):
        b = perm[i:i + 64]
        loss = F.cross_entropy(model(x_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(b)
    print(f"epoch {epoch} train loss {total / len(x_tr):.4f} test acc {accuracy():.3f}")
print(f"FINAL test_acc {accuracy():.3f}")
