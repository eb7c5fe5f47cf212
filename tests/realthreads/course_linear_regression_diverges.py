"""The linear-regression notebook of a PyTorch course: one nn.Linear fitted with SGD(lr=0.01)
to points whose x spreads over about +-20.

Thread: https://github.com/rslim087a/PyTorch-for-Deep-Learning-and-Computer-Vision-Course-All-Codes-/issues/1
  (same code: https://github.com/pytorch/pytorch/issues/23142)
User saw: "I am using exactly the code as per Linear_Regression.ipynb but it diverges!" - the loss
  grows every epoch (36 -> 44 -> 53 -> 66 -> ...).
Cause (thread): the learning rate is too large for this data, so every step overshoots.
Fix (thread): "I have solved this problem by dramatically decreasing the learning rate" -
  "That works, thanks".
"""
import torch
import torch.nn as nn

torch.manual_seed(24)
X = torch.randn(100, 1) * 10
y = X + 3 * torch.randn(100, 1)


class LR(nn.Module):
    def __init__(self, input_size, output_size):
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        pred = self.linear(x)
        return pred


torch.manual_seed(1)
model = LR(1, 1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

epochs = 100
losses = []
for i in range(epochs):
    y_pred = model.forward(X)
    loss = criterion(y_pred, y)
    if i % 10 == 0:
        print("epoch:", i, "loss:", loss.item())
    losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"FINAL mse {criterion(model(X), y).item():.4g}")
