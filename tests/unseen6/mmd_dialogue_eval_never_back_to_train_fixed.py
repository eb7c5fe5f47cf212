"""Multimodal dialogue response classifier in the style of the MMD (multimodal dialogue)
baseline: a GRU encodes the user's utterance, an image encoder (MLP with batch norm and
dropout) encodes the product image features, the two are fused and a classifier picks one of
12 response templates. The trainer validates at the end of every epoch.

Thread: https://github.com/shubhamagarwal92/mmd/issues/14
"In train.py method evaluate, I find you use model.eval() to disable dropout. However, after
evaluate, I didn't find model.train() to enable dropout. It seems that once evaluate called,
dropout will be disabled." A second user confirmed the problem while training and that
"i put model.train() after the evaluation method in train.py, it works fine".
FIXED twin of mmd_dialogue_eval_never_back_to_train.py: model.train() is called at the start
of every epoch, so training after a validation pass runs in training mode again. Everything
else is identical.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(19)
V, L, IMG, C = 150, 12, 40, 12
word_topic = torch.randint(0, 4, (V,))
img_proto = torch.randn(3, IMG) * 1.5


def make(n):
    intent = torch.randint(0, 4, (n,))                 # what the user asks (from the words)
    attr = torch.randint(0, 3, (n,))                   # what the product shows (from the image)
    tokens = torch.randint(0, V, (n, L))
    for i in range(n):
        cands = (word_topic == intent[i]).nonzero().squeeze(1)
        pos = torch.randperm(L)[:4]
        tokens[i, pos] = cands[torch.randint(0, len(cands), (4,))]
    img = img_proto[attr] + torch.randn(n, IMG)
    return tokens, img, intent * 3 + attr


class MultimodalResponder(nn.Module):
    def __init__(self, d=48, h=64):
        super().__init__()
        self.embed = nn.Embedding(V, d)
        self.utt_enc = nn.GRU(d, h, batch_first=True)
        self.img_enc = nn.Sequential(nn.Linear(IMG, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(0.5))
        self.drop = nn.Dropout(0.5)
        self.classifier = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Dropout(0.5), nn.Linear(h, C))

    def forward(self, tokens, img):
        _, hn = self.utt_enc(self.drop(self.embed(tokens)))
        return self.classifier(torch.cat([hn[-1], self.img_enc(img)], dim=1))


tok_tr, img_tr, y_tr = make(2000)
tok_va, img_va, y_va = make(1000)
model = MultimodalResponder()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


def evaluate():
    model.eval()
    with torch.no_grad():
        logits = model(tok_va, img_va)
        return F.cross_entropy(logits, y_va).item(), (logits.argmax(1) == y_va).float().mean().item()


print(f"majority {torch.bincount(y_va).max().item() / len(y_va):.3f}")
print("start val loss %.4f val acc %.3f" % evaluate())
best = float("inf")
for epoch in range(15):
    model.train()
    perm = torch.randperm(len(y_tr))
    for i in range(0, len(perm), 50):
        b = perm[i:i + 50]
        loss = F.cross_entropy(model(tok_tr[b], img_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    val_loss, val_acc = evaluate()
    best = min(best, val_loss)
    print(f"epoch {epoch} train {loss.item():.4f} val loss {val_loss:.4f} val acc {val_acc:.3f}")
print("FINAL val_acc %.3f (val loss %.4f; best val loss %.4f)" % (evaluate()[1], evaluate()[0], best))
