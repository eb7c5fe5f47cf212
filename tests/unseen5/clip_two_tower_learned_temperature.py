"""CLIP-style contrastive training of two different towers: a dense "image" vector goes
through an MLP, a bag of "caption" tokens through an EmbeddingBag; both are L2-normalised,
and a learned temperature (logit_scale, clamped to at most 100 like CLIP) scales the cosine
similarity matrix; the loss is the symmetric cross-entropy over the batch's pairs."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
N_CONCEPTS, VOCAB, IMG_DIM, TOK = 64, 200, 48, 6
proj = torch.randn(N_CONCEPTS, IMG_DIM)
concept_words = torch.randint(0, VOCAB, (N_CONCEPTS, 3))


def make_pairs(n):
    # each sample mixes two concepts; image = projection + noise, caption = words of both
    a = torch.randint(0, N_CONCEPTS, (n,))
    b = torch.randint(0, N_CONCEPTS, (n,))
    img = proj[a] + 0.5 * proj[b] + 0.3 * torch.randn(n, IMG_DIM)
    words = torch.cat([concept_words[a], concept_words[b][:, :2], torch.randint(0, VOCAB, (n, 1))], 1)
    return img, words


class ImageTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(IMG_DIM, 128), nn.GELU(), nn.Linear(128, 64))

    def forward(self, x):
        return F.normalize(self.net(x), dim=-1)


class TextTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 64, mode="mean")
        self.proj = nn.Linear(64, 64)

    def forward(self, words):
        return F.normalize(self.proj(self.bag(words)), dim=-1)


img_tower, txt_tower = ImageTower(), TextTower()
logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
params = list(img_tower.parameters()) + list(txt_tower.parameters()) + [logit_scale]
opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.01)
val_img, val_txt = make_pairs(256)


@torch.no_grad()
def retrieval_acc():
    sims = img_tower(val_img) @ txt_tower(val_txt).t()
    return (sims.argmax(1) == torch.arange(len(sims))).float().mean().item()


print(f"start image->text top1 {retrieval_acc():.3f} (chance {1/256:.4f})")
for step in range(300):
    img, words = make_pairs(128)
    zi, zt = img_tower(img), txt_tower(words)
    logits = logit_scale.exp() * zi @ zt.t()
    labels = torch.arange(len(img))
    loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        logit_scale.clamp_(0, math.log(100))
    if step % 100 == 0:
        print(f"step {step} loss {loss.item():.3f} temperature {1 / logit_scale.exp().item():.4f}")
acc = retrieval_acc()
print(f"end loss {loss.item():.3f} image->text top1 {acc:.3f}")
print(f"FINAL retrieval_top1 {acc:.3f}")
