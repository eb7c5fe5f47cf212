"""A small, healthy Lightning regression watched by unstuck's explicit callback.

    python examples/lightning/train.py      # trains ~5 s on a CPU, then prints unstuck's report

The same script with no callback works with `unstuck run examples/lightning/train.py`.
Try breaking it: drop the `.squeeze(-1)` in `training_step` (a [N,1] prediction against an
[N] target) and unstuck names `loss-broadcast`.
"""
import tempfile

import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from unstuck.integrations.lightning import UnstuckCallback


class Regressor(pl.LightningModule):
    def __init__(self, features: int = 8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.mse_loss(self(x).squeeze(-1), y)  # [N] against [N]
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=1e-2)
        warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}


def main() -> int:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # a model this small runs faster on one thread
    x = torch.randn(512, 8)
    y = 2 * x[:, 0] - x[:, 1] + 0.1 * torch.randn(512)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    watcher = UnstuckCallback()  # add save_to="runs/unstuck" to keep the run, fail_on="error" for CI
    trainer = pl.Trainer(max_epochs=4, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, accumulate_grad_batches=2, gradient_clip_val=1.0,
                         default_root_dir=tempfile.mkdtemp(), callbacks=[watcher])
    trainer.fit(Regressor(), loader)
    return 0 if watcher.report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
