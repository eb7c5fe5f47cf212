"""PPO with a clipped surrogate, GAE(lambda) advantages and a value head, on a vectorised
corridor world written in torch (64 parallel envs, reward at the far end)."""
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
N_ENV, L, HORIZON = 64, 8, 24
GAMMA, LAM, CLIP = 0.97, 0.9, 0.2


def obs_of(pos):
    return nn.functional.one_hot(pos, L).float()


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(L, 64), nn.Tanh())
        self.pi = nn.Linear(64, 2)
        self.v = nn.Linear(64, 1)

    def forward(self, o):
        h = self.body(o)
        return self.pi(h), self.v(h).squeeze(-1)


net = ActorCritic()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)


def rollout():
    pos = torch.zeros(N_ENV, dtype=torch.long)
    obs, acts, logps, rews, dones, vals = [], [], [], [], [], []
    for t in range(HORIZON):
        o = obs_of(pos)
        with torch.no_grad():
            logits, v = net(o)
        d = Categorical(logits=logits)
        a = d.sample()
        pos = (pos + 2 * a - 1).clamp(0, L - 1)
        r = (pos == L - 1).float() - 0.01
        done = pos == L - 1
        obs.append(o); acts.append(a); logps.append(d.log_prob(a)); rews.append(r); dones.append(done.float()); vals.append(v)
        pos = torch.where(done, torch.zeros_like(pos), pos)
    with torch.no_grad():
        _, last_v = net(obs_of(pos))
    adv = torch.zeros(HORIZON, N_ENV)
    gae = torch.zeros(N_ENV)
    for t in reversed(range(HORIZON)):
        nv = last_v if t == HORIZON - 1 else vals[t + 1]
        delta = rews[t] + GAMMA * nv * (1 - dones[t]) - vals[t]
        gae = delta + GAMMA * LAM * (1 - dones[t]) * gae
        adv[t] = gae
    ret = adv + torch.stack(vals)
    return (torch.cat(obs), torch.cat(acts), torch.cat(logps), adv.flatten(), ret.flatten(),
            torch.stack(rews).sum(0).mean().item())


for it in range(40):
    o, a, old_logp, adv, ret, avg_return = rollout()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    if it == 0:
        print(f"start mean return {avg_return:.3f}")
    for epoch in range(4):
        perm = torch.randperm(len(a))
        for mb in perm.split(384):
            logits, v = net(o[mb])
            d = Categorical(logits=logits)
            ratio = torch.exp(d.log_prob(a[mb]) - old_logp[mb])
            s1 = ratio * adv[mb]
            s2 = torch.clamp(ratio, 1 - CLIP, 1 + CLIP) * adv[mb]
            loss = -torch.min(s1, s2).mean() + 0.5 * (v - ret[mb]).pow(2).mean() - 0.01 * d.entropy().mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            opt.step()
print(f"end mean return {avg_return:.3f}")
print(f"FINAL mean_return {avg_return:.3f}")
