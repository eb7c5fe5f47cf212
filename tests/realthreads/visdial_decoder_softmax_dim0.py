"""Visual-dialog discriminative decoder: each question comes with 20 candidate answers, the
decoder scores them ([batch x answer_options]) and normalises the scores with a softmax.

Thread: https://github.com/batra-mlp-lab/visdial-challenge-starter-pytorch/issues/1
User saw: "I think there is critical mistake in decoder code. Dimension for implementing Softmax
  is wrong."
Cause (thread, fixed by the maintainer): the score tensor is [batch_size x answer_options], but
  the softmax runs over dim 0, i.e. across the questions of the batch.
Fix (thread): softmax over dim 1 (the answer options).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)
D, N_OPTIONS, B = 24, 20, 32


class DiscriminativeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 32))
        self.option_enc = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 32))
        self.log_softmax = nn.LogSoftmax(dim=0)

    def forward(self, question, options):
        enc_out = self.encoder(question).unsqueeze(1)  # (batch, 1, 32)
        options_embed = self.option_enc(options)  # (batch, options, 32)
        scores = (options_embed * enc_out).sum(-1)  # (batch, options)
        return self.log_softmax(scores)


W = torch.randn(D, D) / D ** 0.5


def make_rounds(n):
    question = torch.randn(n, D)
    options = torch.randn(n, N_OPTIONS, D)
    answer = torch.randint(0, N_OPTIONS, (n,))
    options[torch.arange(n), answer] = question @ W + 0.3 * torch.randn(n, D)
    return question, options, answer


q_train, o_train, a_train = make_rounds(2048)
q_test, o_test, a_test = make_rounds(512)
model = DiscriminativeDecoder()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(6):
    for i in range(0, len(q_train), B):
        opt.zero_grad()
        loss = F.nll_loss(model(q_train[i:i + B], o_train[i:i + B]), a_train[i:i + B])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    pred = torch.cat([model(q_test[i:i + B], o_test[i:i + B]).argmax(1) for i in range(0, len(q_test), B)])
print(f"FINAL top1 {(pred == a_test).float().mean().item():.3f}")
