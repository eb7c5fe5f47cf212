"""Thread: https://github.com/phlippe/uvadlc_notebooks/issues/119
"[Question] Tutorial 3 (PyTorch, JAX) Test accuracy for the model with sigmoid activation
function": in the tutorial the sigmoid network ends near 10% test accuracy on FashionMNIST;
the maintainer: "many continued to fail even after longer trainings. You need to be a bit
lucky that the gradients don't cancel each other out too much in the early layers and
actually start learning."

Small-scale reproduction of the tutorial's BaseNetwork and train_model: an MLP with hidden
sizes [512, 256, 256, 128], the activation passed in as `act_fn` (the tutorial's own
Sigmoid module, 1 / (1 + exp(-x))), PyTorch's default initialisation, SGD(lr=1e-2,
momentum=0.9), batch size 256, cross-entropy, inputs normalised to [-1, 1]. Data: a
FashionMNIST stand-in of 14x14 images from 10 smooth class templates with per-sample
deformation and noise.
Bug: with five stacked sigmoids the gradient reaching the first layers is orders of
magnitude smaller than at the output (sigmoid' <= 0.25 per layer), so the network sits at
chance level within this training budget.
Metric: validation and test accuracy (chance 0.1).
Cause: vanishing-gradients. This is the fixed twin of uvadlc_sigmoid_mlp_vanishing.py: the same
network with the tutorial's ReLU activation module.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils import data

torch.manual_seed(42)


class ActivationFunction(nn.Module):
    def __init__(self):
        super().__init__()
        self.name = self.__class__.__name__
        self.config = {"name": self.name}


class Sigmoid(ActivationFunction):
    def forward(self, x):
        return 1 / (1 + torch.exp(-x))


class ReLU(ActivationFunction):
    def forward(self, x):
        return x * (x > 0).float()


class BaseNetwork(nn.Module):
    def __init__(self, act_fn, input_size=196, num_classes=10, hidden_sizes=[512, 256, 256, 128]):
        super().__init__()
        layers = []
        layer_sizes = [input_size] + hidden_sizes
        for layer_index in range(1, len(layer_sizes)):
            layers += [nn.Linear(layer_sizes[layer_index - 1], layer_sizes[layer_index]), act_fn]
        layers += [nn.Linear(layer_sizes[-1], num_classes)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x.view(x.size(0), -1))


def fashion_like(n, templates):
    y = torch.randint(0, 10, (n,))
    shift = torch.randint(-1, 2, (n, 2))
    imgs = torch.stack([torch.roll(templates[c], (int(s[0]), int(s[1])), (0, 1)) for c, s in zip(y, shift)])
    imgs = imgs * (0.8 + 0.4 * torch.rand(n, 1, 1)) + 0.2 * torch.randn(n, 14, 14)
    return (imgs.clamp(0, 1) - 0.5) / 0.5, y


templates = F.interpolate(torch.rand(10, 1, 5, 5), size=(14, 14), mode="bilinear", align_corners=False)[:, 0]
templates = (templates - templates.amin((1, 2), keepdim=True)) / (templates.amax((1, 2), keepdim=True)
                                                                   - templates.amin((1, 2), keepdim=True))
train_set = data.TensorDataset(*fashion_like(4096, templates))
val_set = data.TensorDataset(*fashion_like(1000, templates))
test_set = data.TensorDataset(*fashion_like(1000, templates))
val_loader = data.DataLoader(val_set, batch_size=1024, shuffle=False)
test_loader = data.DataLoader(test_set, batch_size=1024, shuffle=False)


def test_model(net, data_loader):
    net.eval()
    true_preds, count = 0., 0
    with torch.no_grad():
        for imgs, labels in data_loader:
            true_preds += (net(imgs).argmax(dim=-1) == labels).sum().item()
            count += labels.shape[0]
    return true_preds / count


def train_model(net, max_epochs=10, batch_size=256):
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9)
    loss_module = nn.CrossEntropyLoss()
    train_loader_local = data.DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True)
    for epoch in range(max_epochs):
        net.train()
        true_preds, count = 0., 0
        for imgs, labels in train_loader_local:
            optimizer.zero_grad()
            preds = net(imgs)
            loss = loss_module(preds, labels)
            loss.backward()
            optimizer.step()
            true_preds += (preds.argmax(dim=-1) == labels).sum().item()
            count += labels.shape[0]
        val_acc = test_model(net, val_loader)
        print(f"[Epoch {epoch + 1:2d}] Training accuracy: {true_preds / count * 100.0:05.2f}%, "
              f"Validation accuracy: {val_acc * 100.0:05.2f}%")


act_fn = ReLU()
net_actfn = BaseNetwork(act_fn=act_fn)
print(f"Training BaseNetwork with {act_fn.name} activation; chance 10%, start test accuracy "
      f"{test_model(net_actfn, test_loader) * 100:.2f}%")
train_model(net_actfn)
print(f"FINAL test accuracy {test_model(net_actfn, test_loader) * 100:.2f}% (chance 10%)")
