# DQN on a small deterministic chain world, with a replay buffer and a target network that
# is re-synchronised with load_state_dict every k steps. The target is evaluated under
# no_grad and stays in train mode (it has no mode-dependent layers anyway). Measured: the
# error of the greedy Q-values against the true optimal values from value iteration.
import random
from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
random.seed(2)

N_STATES, GAMMA = 8, 0.9
ACTIONS = (-1, +1)


def step_env(s, a):
    s2 = min(max(s + ACTIONS[a], 0), N_STATES - 1)
    r = 1.0 if s2 == N_STATES - 1 else (-0.05 if s2 > 0 else -0.2)
    done = s2 == N_STATES - 1
    return s2, r, done


def one_hot(s):
    return F.one_hot(torch.as_tensor(s), N_STATES).float()


def optimal_q():
    q = torch.zeros(N_STATES, 2)
    for _ in range(200):
        new = torch.zeros_like(q)
        for s in range(N_STATES):
            for a in range(2):
                s2, r, done = step_env(s, a)
                new[s, a] = r + (0.0 if done else GAMMA * q[s2].max())
        q = new
    return q


q_star = optimal_q()[:-1]  # the terminal state is never acted in
qnet = nn.Sequential(nn.Linear(N_STATES, 32), nn.ReLU(), nn.Linear(32, 2))
target = nn.Sequential(nn.Linear(N_STATES, 32), nn.ReLU(), nn.Linear(32, 2))
target.load_state_dict(qnet.state_dict())
opt = torch.optim.Adam(qnet.parameters(), lr=3e-3)
buffer = deque(maxlen=2000)


def q_error():
    with torch.no_grad():
        return F.mse_loss(qnet(one_hot(torch.arange(N_STATES - 1))), q_star).item()


first = q_error()
s, eps = 0, 1.0
for t in range(600):
    if random.random() < eps:
        a = random.randrange(2)
    else:
        with torch.no_grad():
            a = int(qnet(one_hot(s)).argmax())
    s2, r, done = step_env(s, a)
    buffer.append((s, a, r, s2, done))
    s = 0 if done else s2
    eps = max(0.1, eps * 0.995)
    if len(buffer) >= 64:
        batch = random.sample(buffer, 64)
        bs, ba, br, bs2, bd = (torch.tensor(v) for v in zip(*batch))
        with torch.no_grad():
            next_q = target(one_hot(bs2)).max(1).values
            y = br.float() + GAMMA * next_q * (~bd).float()
        q = qnet(one_hot(bs)).gather(1, ba.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if t % 50 == 0:
        target.load_state_dict(qnet.state_dict())

final = q_error()
checksum = sum(p.detach().double().sum().item() for p in qnet.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
