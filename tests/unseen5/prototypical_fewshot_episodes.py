"""Prototypical networks for few-shot classification: each episode samples 5 classes out of
40 training classes, 5 support and 10 query examples per class; the encoder's support
embeddings are averaged into prototypes and queries are classified by the softmax of
negative squared Euclidean distances. Evaluated on 20 classes never seen in training."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)
N_CLASSES, D_LATENT, D_OBS = 60, 6, 40
centers = torch.randn(N_CLASSES, D_LATENT) * 1.2
mix = torch.randn(D_LATENT, D_OBS)
mix2 = torch.randn(D_OBS, D_OBS) / D_OBS ** 0.5
train_classes, test_classes = torch.arange(40), torch.arange(40, 60)


def observe(latent):
    h = latent @ mix
    return torch.tanh(h) @ mix2 + 0.1 * h + 0.2 * torch.randn_like(h)


def episode(classes, way=5, shot=5, query=10):
    chosen = classes[torch.randperm(len(classes))[:way]]
    lat = centers[chosen][:, None, :] + 0.9 * torch.randn(way, shot + query, D_LATENT)
    x = observe(lat)
    return x[:, :shot], x[:, shot:]


encoder = nn.Sequential(nn.Linear(D_OBS, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 32))
opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)


def episode_loss(support, query):
    way, q = query.shape[:2]
    protos = encoder(support).mean(1)  # [way, 32]
    zq = encoder(query.reshape(way * q, -1))
    logits = -torch.cdist(zq, protos) ** 2
    labels = torch.arange(way).repeat_interleave(q)
    return F.cross_entropy(logits, labels), (logits.argmax(1) == labels).float().mean()


@torch.no_grad()
def test_acc(n=100):
    torch.manual_seed(1234)
    accs = [episode_loss(*episode(test_classes))[1] for _ in range(n)]
    return torch.stack(accs).mean().item()


print(f"start test-class episode acc {test_acc():.3f} (chance 0.200)")
torch.manual_seed(31)
for ep in range(450):
    loss, acc = episode_loss(*episode(train_classes))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if ep % 150 == 0:
        print(f"episode {ep} loss {loss.item():.3f} acc {acc.item():.2f}")
a = test_acc()
print(f"end test-class episode acc {a:.3f}")
print(f"FINAL test_episode_acc {a:.3f}")
