# REINFORCE on a contextual bandit: a softmax policy over 4 arms samples actions with
# torch.distributions.Categorical, the loss is -(log_prob * advantage) with a running-mean
# baseline. Measured: the expected regret of the policy on held-out contexts.
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(12)
D, A = 6, 4
W_true = torch.randn(D, A)


def mean_reward(ctx):
    return torch.sigmoid(ctx @ W_true)  # Bernoulli success probability of each arm


policy = nn.Sequential(nn.Linear(D, 32), nn.Tanh(), nn.Linear(32, A))
opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
test_ctx = torch.randn(500, D)


def regret():
    with torch.no_grad():
        probs = policy(test_ctx).softmax(-1)
        r = mean_reward(test_ctx)
        return (r.max(1).values - (probs * r).sum(1)).mean().item()


first = regret()
baseline = 0.0
for it in range(250):
    ctx = torch.randn(64, D)
    dist = Categorical(logits=policy(ctx))
    actions = dist.sample()
    with torch.no_grad():
        p = mean_reward(ctx).gather(1, actions.unsqueeze(1)).squeeze(1)
        rewards = torch.bernoulli(p)
    advantage = rewards - baseline
    loss = -(dist.log_prob(actions) * advantage).mean() - 0.01 * dist.entropy().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    baseline = 0.9 * baseline + 0.1 * rewards.mean().item()

final = regret()
checksum = sum(p.detach().double().sum().item() for p in policy.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
