"""A small set/graph regression model (sum readout over node embeddings) whose readout is [N],
while the data pipeline yields labels with an extra dimension, [N, 1].

Thread: https://github.com/IntelLabs/matsciml/pull/347
User saw: "labels come out of the pipeline with an extra dimension (e.g. [N, 1]) compared to graph
  readouts" and MSELoss only warns: "Using a target size (torch.Size([8, 1])) that is different
  to the input size (torch.Size([8]))"; "the resulting behavior is very different from the
  intention".
Cause (thread): the [N] vs [N, 1] shapes broadcast to an [N, N] loss.
Fix (thread): reshape the model outputs to the labels' shape before computing the loss.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
N_NODES, NODE_FEATS, B = 10, 6, 32


def make_graphs(n):
    nodes = torch.randn(n, N_NODES, NODE_FEATS)
    mask = (torch.rand(n, N_NODES) < 0.7).float()
    energy = ((nodes[..., 0] * nodes[..., 1] + 0.5 * nodes[..., 2]) * mask).sum(1) / 3
    return nodes, mask, energy.unsqueeze(1)  # labels [n, 1]


class ReadoutModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.node_mlp = nn.Sequential(nn.Linear(NODE_FEATS, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU())
        self.out = nn.Linear(64, 1)

    def forward(self, nodes, mask):
        h = self.node_mlp(nodes) * mask.unsqueeze(-1)
        return self.out(h.sum(1)).squeeze(-1)  # graph readout, [N]


x_train, m_train, y_train = make_graphs(2048)
x_test, m_test, y_test = make_graphs(512)
model = ReadoutModel()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()
for epoch in range(10):
    for i in range(0, len(x_train), B):
        pred = model(x_train[i:i + B], m_train[i:i + B])
        loss = loss_fn(pred, y_train[i:i + B])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    mae = (model(x_test, m_test) - y_test.squeeze(1)).abs().mean().item()
print(f"FINAL mae {mae:.4f}")
