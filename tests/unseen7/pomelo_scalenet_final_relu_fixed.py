"""Thread: https://github.com/jvargasmu/population_estimation/issues/68
"Sometimes the initial solution predicts only zeros (due to RELU activation). And hence,
no gradients emerge. We should maybe change this to a softRelu/Softplus."

Small-scale reproduction of the PixScaleNet training in pix_admin_transform.py (population
disaggregation from census counts): per-pixel covariates go through 1x1 convolutions
(128-128-128, ReLU) and a `scale_layer` = Conv2d(128, 1) followed by ReLU, which predicts
people per building; the pixel estimate is buildings * scale, summed over each census
region, and compared with the region's census count by the NormL1 loss
|pred - gt| / (pred + gt). Adam with weight decay on the scale net, gradient clipping.
Synthetic country: 160 census regions of 8x8 pixels with 4 covariates (night lights,
built-up fraction, road distance, elevation) and building counts; the true occupancy
depends on the covariates.
Bug as in the thread, with this seed: the last ReLU is negative for every pixel at
initialisation, the predictions are all zero, no gradient reaches any layer, and the loss
stays at 1.0.
Metric: NormL1 and relative error of held-out regions' totals, against the baseline that
multiplies buildings by the mean training occupancy.
Cause: dead-relu. This is the fixed twin of pomelo_scalenet_final_relu.py: the scale layer
ends in Softplus, as the issue proposes, so the output is positive and always has a gradient.
"""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--learning_rate", "-lr", type=float, default=1e-3)
parser.add_argument("--weights_regularizer", "-wr", type=float, default=0.001)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--random_seed", "-rs", type=int, default=10)
args = parser.parse_args()
torch.manual_seed(args.random_seed)


def make_country(n_regions, size=8):
    lights = torch.rand(n_regions, 1, size, size) ** 2 * 4
    built = torch.rand(n_regions, 1, size, size)
    roads = torch.rand(n_regions, 1, size, size) * 3
    elev = torch.rand(n_regions, 1, 1, 1).expand(-1, 1, size, size) * 2
    covariates = torch.cat([lights, built, roads, elev], 1)
    buildings = torch.poisson(2 + 10 * built)
    occupancy = 1.5 + 2.0 * lights.sqrt() + 1.5 * built - 0.6 * roads - 0.3 * elev
    occupancy = occupancy.clamp(min=0.5)
    census = (buildings * occupancy).sum((1, 2, 3)) * (1 + 0.03 * torch.randn(n_regions))
    return torch.cat([buildings, covariates], 1), census


def NormL1(outputs, targets, eps=1e-8):
    loss = torch.abs(outputs - targets) / torch.clip(outputs + targets, min=eps)
    return loss.mean()


class PixScaleNet(nn.Module):
    def __init__(self, channels_in=5, weights_regularizer=0.001):
        super().__init__()
        n1 = n2 = n3 = 128
        self.scalenet = nn.Sequential(nn.Conv2d(channels_in - 1, n1, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(n1, n2, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(n2, n3, 1), nn.ReLU(inplace=True))
        self.scale_layer = nn.Sequential(nn.Conv2d(n3, 1, 1), nn.Softplus())
        self.params_with_regularizer = [{"params": self.scalenet.parameters(), "weight_decay": weights_regularizer},
                                        {"params": self.scale_layer.parameters(), "weight_decay": 0.0}]

    def forward(self, inputs, predict_map=False):
        buildings = inputs[:, 0:1]
        data = self.scalenet(inputs[:, 1:])
        scale = self.scale_layer(data)
        pop_est = torch.mul(buildings, scale)
        return pop_est if predict_map else pop_est.sum((1, 2, 3))


x_train, y_train = make_country(160)
x_test, y_test = make_country(60)
mynet = PixScaleNet(weights_regularizer=args.weights_regularizer)
optimizer = torch.optim.Adam(mynet.params_with_regularizer, lr=args.learning_rate)
mean_occupancy = y_train.sum() / x_train[:, 0].sum()


@torch.no_grad()
def evaluate():
    pred = mynet(x_test)
    return NormL1(pred, y_test).item(), ((pred - y_test).abs() / y_test).mean().item()


baseline_pred = x_test[:, 0].sum((1, 2)) * mean_occupancy
base_norm, base_rel = NormL1(baseline_pred, y_test).item(), ((baseline_pred - y_test).abs() / y_test).mean().item()
norm, rel = evaluate()
print(f"mean-occupancy baseline: NormL1 {base_norm:.4f} rel error {base_rel:.3f}; "
      f"start NormL1 {norm:.4f} rel error {rel:.3f}")
for epoch in range(args.epochs):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 4):
        idx = perm[i:i + 4]
        optimizer.zero_grad()
        y_pred = mynet(x_train[idx])
        loss = NormL1(y_pred, y_train[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(mynet.parameters(), 10.)
        optimizer.step()
    norm, rel = evaluate()
    print(f"epoch {epoch} train NormL1 {loss.item():.4f} test NormL1 {norm:.4f} rel error {rel:.3f}")
print(f"FINAL test NormL1 {norm:.4f}, relative error of region totals {rel:.3f} "
      f"(mean-occupancy baseline {base_norm:.4f} / {base_rel:.3f})")
