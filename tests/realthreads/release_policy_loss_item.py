"""ReLeaSE-style policy-gradient fine-tuning of a generator: the RL loss is accumulated from
log-probabilities turned into Python numbers to get around a CUDA/NumPy error.

Thread: https://github.com/isayev/ReLeaSE/issues/39
User saw: "My weights don't seem to be changing. I printed out the grad for each of the layers
  and it comes back as none" after changing the update to
  rl_loss -= (log_probs[0, top_i].item() * discounted_reward).
Cause (thread, maintainer): .item() / .detach().numpy() detach rl_loss from the computational
  graph, so there is nothing to backpropagate into the generator.
Fix (thread): keep the log-probability as a tensor in the loss (no .item()/.numpy()).
"""
import torch
import torch.nn as nn

torch.manual_seed(26)
VOCAB, HID, LENGTH = 10, 32, 6
GOOD = {1, 3, 5, 7}  # the "predictor" rewards sequences made of these tokens


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, HID)
        self.cell = nn.GRUCell(HID, HID)
        self.out = nn.Linear(HID, VOCAB)

    def step(self, token, hidden):
        hidden = self.cell(self.emb(token), hidden)
        return self.out(hidden), hidden


def reward_fn(tokens):
    return sum(t in GOOD for t in tokens) / LENGTH


generator = Generator()
optimizer = torch.optim.Adam(generator.parameters(), lr=3e-3)
gamma, baseline = 0.97, 0.0


def policy_gradient(n_batch=8):
    global baseline
    rl_loss = torch.zeros(1, requires_grad=True)
    total_reward = 0.0
    for _ in range(n_batch):
        hidden = torch.zeros(1, HID)
        token = torch.zeros(1, dtype=torch.long)
        tokens, log_probs_seq = [], []
        for _ in range(LENGTH):
            logits, hidden = generator.step(token, hidden)
            log_probs = torch.log_softmax(logits, dim=1)
            top_i = torch.multinomial(log_probs.exp(), 1).item()
            tokens.append(top_i)
            log_probs_seq.append((log_probs, top_i))
            token = torch.tensor([top_i])
        reward = reward_fn(tokens)
        discounted_reward = reward - baseline
        for log_probs, top_i in log_probs_seq:
            rl_loss = rl_loss - (log_probs[0, top_i].item() * discounted_reward)
            discounted_reward = discounted_reward * gamma
        total_reward += reward
    baseline = 0.9 * baseline + 0.1 * total_reward / n_batch
    rl_loss = rl_loss / n_batch
    optimizer.zero_grad()
    rl_loss.backward()
    optimizer.step()
    return total_reward / n_batch


for i in range(120):
    mean_reward = policy_gradient()
    if i % 20 == 0:
        print(f"iteration {i} mean reward {mean_reward:.3f}")
torch.manual_seed(0)
final = sum(policy_gradient(n_batch=16) for _ in range(3)) / 3
print(f"FINAL acc {final:.3f}")
