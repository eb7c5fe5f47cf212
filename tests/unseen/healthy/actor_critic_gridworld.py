# Advantage actor-critic on a 4x4 gridworld with a shared trunk and separate policy and
# value heads, Monte-Carlo returns per episode, critic trained with MSE and the actor with the
# detached advantage. Measured: the mean episode length of the greedy policy (lower is better).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)
SIZE, GOAL, MAX_T, GAMMA = 4, (3, 3), 30, 0.95
MOVES = [(0, 1), (1, 0), (0, -1), (-1, 0)]


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(SIZE * SIZE, 64), nn.ReLU())
        self.pi = nn.Linear(64, 4)
        self.v = nn.Linear(64, 1)

    def forward(self, s):
        h = self.trunk(s)
        return self.pi(h), self.v(h).squeeze(-1)


def encode(pos):
    return F.one_hot(torch.tensor(pos[0] * SIZE + pos[1]), SIZE * SIZE).float()


def move(pos, a):
    r, c = pos[0] + MOVES[a][0], pos[1] + MOVES[a][1]
    return (min(max(r, 0), SIZE - 1), min(max(c, 0), SIZE - 1))


def rollout(net, greedy=False):
    pos, logps, values, rewards, ents = (0, 0), [], [], [], []
    for t in range(MAX_T):
        logits, value = net(encode(pos))
        dist = torch.distributions.Categorical(logits=logits)
        a = logits.argmax() if greedy else dist.sample()
        logps.append(dist.log_prob(a))
        ents.append(dist.entropy())
        values.append(value)
        pos = move(pos, int(a))
        done = pos == GOAL
        rewards.append(1.0 if done else -0.01)
        if done:
            break
    return logps, values, rewards, ents


def greedy_length(net):
    with torch.no_grad():
        return float(len(rollout(net, greedy=True)[2]))


net = ActorCritic()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
first = greedy_length(net)
for episode in range(60):
    logps, values, rewards, ents = rollout(net)
    returns, g = [], 0.0
    for r in reversed(rewards):
        g = r + GAMMA * g
        returns.insert(0, g)
    returns = torch.tensor(returns)
    values = torch.stack(values)
    advantage = returns - values.detach()
    actor_loss = -(torch.stack(logps) * advantage).sum()
    critic_loss = F.mse_loss(values, returns, reduction="sum")
    loss = actor_loss + 0.5 * critic_loss - 0.01 * torch.stack(ents).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()

final = greedy_length(net)
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
