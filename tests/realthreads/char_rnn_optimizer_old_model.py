"""char-rnn name classification (practical-pytorch tutorial style) switched from the manual
parameter update to torch.optim; the notebook instantiates the RNN twice.

Thread: https://github.com/spro/practical-pytorch/issues/9
User saw: with optimizer.step() instead of the manual p.data.add_ update, "loss is big, and loss
  flows up and down, does not diminish".
Cause (thread, by the author): the model is instantiated twice - once after the RNN class and
  once before the training loop - so the optimizer holds the parameters of the first, unused
  model.
Fix (thread): create the optimizer after the second instantiation (the notebook was fixed).
"""
import torch
import torch.nn as nn

torch.manual_seed(12)
N_LETTERS, N_HIDDEN, N_CATEGORIES = 16, 48, 3


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = torch.tanh(self.i2h(combined))
        output = self.softmax(self.i2o(combined))
        return output, hidden

    def init_hidden(self, batch=1):
        return torch.zeros(batch, self.hidden_size)


rnn = RNN(N_LETTERS, N_HIDDEN, N_CATEGORIES)
learning_rate = 0.005
optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate, momentum=0.9)
criterion = nn.NLLLoss()


def random_names(n, length=6):
    # each "language" draws its letters from its own part of the alphabet (with overlap)
    category = torch.randint(0, N_CATEGORIES, (n,))
    letters = (category[:, None] * 5 + torch.randint(0, 6, (n, length))) % N_LETTERS
    return nn.functional.one_hot(letters, N_LETTERS).float(), category


def train(category_tensor, line_tensor):
    hidden = rnn.init_hidden(line_tensor.size(0))
    optimizer.zero_grad()
    for i in range(line_tensor.size(1)):
        output, hidden = rnn(line_tensor[:, i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    optimizer.step()
    return output, loss.item()


# ... later in the notebook, before the training loop
rnn = RNN(N_LETTERS, N_HIDDEN, N_CATEGORIES)
lines, categories = random_names(1536)
for epoch in range(6):
    for i in range(0, len(lines), 16):
        output, loss = train(categories[i:i + 16], lines[i:i + 16])
    print(f"epoch {epoch} loss {loss:.4f}")

test_lines, test_categories = random_names(300)
with torch.no_grad():
    hidden = rnn.init_hidden(len(test_lines))
    for i in range(test_lines.size(1)):
        output, hidden = rnn(test_lines[:, i], hidden)
print(f"FINAL acc {(output.argmax(1) == test_categories).float().mean().item():.3f}")
