"""NER tagger whose optimizer is built from hand-picked parameter groups (encoder with a low
learning rate, the fusion layer with a higher one); the classifier head is never added.

Thread: https://github.com/zjunlp/HVPNeT/issues/5
User saw: in modules/train.py the parameters of the crf and fc layers are not put into the
  optimizer, "but they can still be trained"?
Cause (thread, confirmed by the authors): after building the group for crf/fc the code forgot
  parameters.append(params), so those layers are never updated.
Fix (thread): append the crf/fc parameter group to the optimizer's parameter list.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)
VOCAB, N_TAGS, SEQ = 40, 5, 12


class NERModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, 32)
        self.fusion = nn.LSTM(32, 32, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(64, N_TAGS)

    def forward(self, tokens):
        h, _ = self.fusion(self.encoder(tokens))
        return self.fc(self.dropout(h))


def make_sentences(n):
    tokens = torch.randint(0, VOCAB, (n, SEQ))
    # tag = a token class, shifted by the previous token's class (needs context)
    tags = tokens % N_TAGS
    tags[:, 1:] = (tags[:, 1:] + (tokens[:, :-1] < 8).long()) % N_TAGS
    return tokens, tags


model = NERModel()
parameters = []
params = {"lr": 1e-3, "weight_decay": 1e-2}
params["params"] = [p for n, p in model.named_parameters() if n.startswith("encoder")]
parameters.append(params)
params = {"lr": 5e-3, "weight_decay": 1e-2}
params["params"] = [p for n, p in model.named_parameters() if n.startswith("fusion")]
parameters.append(params)
params = {"lr": 5e-3, "weight_decay": 1e-2}
params["params"] = [p for n, p in model.named_parameters() if n.startswith("fc")]
optimizer = torch.optim.AdamW(parameters)

x_train, y_train = make_sentences(1024)
x_test, y_test = make_sentences(256)
for epoch in range(6):
    model.train()
    for i in range(0, len(x_train), 32):
        optimizer.zero_grad()
        logits = model(x_train[i:i + 32])
        loss = F.cross_entropy(logits.reshape(-1, N_TAGS), y_train[i:i + 32].reshape(-1))
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(-1) == y_test).float().mean().item():.3f}")
