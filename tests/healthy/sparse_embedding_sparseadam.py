# Matrix factorisation recommender: sparse embedding gradients go to SparseAdam,
# the dense bias/global offset to Adam (the usual split for sparse=True embeddings).
import torch
import torch.nn as nn

torch.manual_seed(3)
n_users, n_items, dim = 200, 150, 8
true_u, true_i = torch.randn(n_users, dim), torch.randn(n_items, dim)
users = torch.randint(0, n_users, (4000,))
items = torch.randint(0, n_items, (4000,))
ratings = (true_u[users] * true_i[items]).sum(1) / dim ** 0.5 + 0.1 * torch.randn(4000)


class MF(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(n_users, dim, sparse=True)
        self.item = nn.Embedding(n_items, dim, sparse=True)
        self.offset = nn.Parameter(torch.zeros(1))
        nn.init.normal_(self.user.weight, std=0.3)
        nn.init.normal_(self.item.weight, std=0.3)

    def forward(self, u, i):
        return (self.user(u) * self.item(i)).sum(-1) + self.offset


model = MF()
sparse_opt = torch.optim.SparseAdam(list(model.user.parameters()) + list(model.item.parameters()), lr=0.03)
dense_opt = torch.optim.Adam([model.offset], lr=0.03)

losses = []
for epoch in range(4):
    perm = torch.randperm(len(users))
    for k in range(0, len(perm), 256):
        idx = perm[k:k + 256]
        pred = model(users[idx], items[idx])
        loss = nn.functional.mse_loss(pred, ratings[idx])
        sparse_opt.zero_grad()
        dense_opt.zero_grad()
        loss.backward()
        sparse_opt.step()
        dense_opt.step()
        losses.append(loss.item())

checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
