"""World-Models MDN-RNN: an LSTM predicts a Gaussian mixture over the next latent; the mixture
weights pi are viewed as (seq_len, bs, gaussians) and log-softmaxed over dim=-2.

Thread: https://github.com/ctallec/world-models/issues/10
User saw: "logpi = f.log_softmax(pi, dim=-2) - here the softmax is done over the batch dimension of
  pi. Shouldn't the softmax be done over the gaussians dimension?"
Cause (thread, confirmed by the author): the mixture weights are normalised across the batch
  instead of across the mixture components.
Fix (thread): log_softmax(pi, dim=-1).
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(21)
LATENT, HIDDEN, GAUSSIANS, SEQ_LEN, BS = 2, 32, 3, 16, 16


class MDRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(LATENT, HIDDEN)  # sequence-first, like the original
        self.gmm_linear = nn.Linear(HIDDEN, (2 * LATENT + 1) * GAUSSIANS)

    def forward(self, latents):
        seq_len, bs = latents.shape[:2]
        outs, _ = self.rnn(latents)
        gmm_outs = self.gmm_linear(outs)
        stride = GAUSSIANS * LATENT
        mus = gmm_outs[:, :, :stride].view(seq_len, bs, GAUSSIANS, LATENT)
        sigmas = torch.exp(gmm_outs[:, :, stride:2 * stride].view(seq_len, bs, GAUSSIANS, LATENT))
        pi = gmm_outs[:, :, 2 * stride:2 * stride + GAUSSIANS].view(seq_len, bs, GAUSSIANS)
        logpi = torch.log_softmax(pi, dim=-2)
        return mus, sigmas, logpi


def gmm_loss(batch, mus, sigmas, logpi):
    batch = batch.unsqueeze(-2)
    normal_dist = torch.distributions.Normal(mus, sigmas)
    g_log_probs = logpi + normal_dist.log_prob(batch).sum(-1)
    return -torch.logsumexp(g_log_probs, dim=-1).mean()


def make_rollouts(n):
    # latent dynamics: rotate by one of three angles chosen per rollout (a 3-way mixture)
    angle = torch.tensor([0.3, -0.5, 1.2])[torch.randint(0, 3, (n,))]
    z = torch.randn(n, LATENT)
    seq = [z]
    for _ in range(SEQ_LEN):
        c, s = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
        z = torch.cat([c * z[:, :1] - s * z[:, 1:], s * z[:, :1] + c * z[:, 1:]], 1) + 0.05 * torch.randn(n, LATENT)
        seq.append(z)
    return torch.stack(seq)  # (SEQ_LEN + 1, n, LATENT)


train, test = make_rollouts(1024), make_rollouts(256)
mdrnn = MDRNN()
optimizer = torch.optim.Adam(mdrnn.parameters(), lr=3e-3)
for epoch in range(8):
    for i in range(0, train.size(1), BS):
        batch = train[:, i:i + BS]
        mus, sigmas, logpi = mdrnn(batch[:-1])
        loss = gmm_loss(batch[1:], mus, sigmas, logpi)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} gmm loss {loss.item():.4f}")
with torch.no_grad():
    mus, sigmas, logpi = mdrnn(test[:-1])
    # held-out negative log-likelihood of the predicted mixture (weights renormalised per sample)
    nll = gmm_loss(test[1:], mus, sigmas, logpi - torch.logsumexp(logpi, dim=-1, keepdim=True)).item()
print(f"FINAL nll {nll:.4f}")
