"""SMPLify-style fitting: body pose and shape parameters are optimised so that the projected
joints of a (fixed) body model match 2-D keypoints.

Thread: https://github.com/nkolot/SPIN/issues/12
User saw: the fitting loop in smplify.py never calls loss.backward(), and "the vars stayed
  unchanged after the process".
Cause (thread, confirmed by the author): a missing loss.backward(); optimizer.step() has no
  gradients to apply.
Fix (thread): call loss.backward() between optimizer.zero_grad() and optimizer.step().
"""
import torch
import torch.nn as nn

torch.manual_seed(8)
N_PEOPLE, N_POSE, N_BETAS, N_JOINTS = 64, 12, 6, 14


class BodyModel(nn.Module):
    """A frozen stand-in for SMPL: pose and shape to 3-D joints."""

    def __init__(self):
        super().__init__()
        self.pose_dirs = nn.Linear(N_POSE, N_JOINTS * 3)
        self.shape_dirs = nn.Linear(N_BETAS, N_JOINTS * 3, bias=False)
        self.requires_grad_(False)

    def forward(self, pose, betas):
        joints = torch.tanh(self.pose_dirs(pose)) + 0.3 * self.shape_dirs(betas)
        return joints.view(-1, N_JOINTS, 3)


def project(joints, focal=2.0, depth=5.0):
    return focal * joints[..., :2] / (depth + joints[..., 2:])


body = BodyModel()
true_pose, true_betas = 0.8 * torch.randn(N_PEOPLE, N_POSE), torch.randn(N_PEOPLE, N_BETAS)
with torch.no_grad():
    keypoints_2d = project(body(true_pose, true_betas)) + 0.005 * torch.randn(N_PEOPLE, N_JOINTS, 2)


class SMPLify:
    def __init__(self, step_size=0.05, num_iters=300):
        self.step_size, self.num_iters = step_size, num_iters

    def __call__(self, init_pose, init_betas, keypoints):
        body_pose = init_pose.clone().requires_grad_(True)
        betas = init_betas.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([body_pose, betas], lr=self.step_size, betas=(0.9, 0.999))
        for i in range(self.num_iters):
            joints = body(body_pose, betas)
            reprojection = ((project(joints) - keypoints) ** 2).sum(-1).mean()
            prior = 1e-3 * (body_pose ** 2).mean() + 1e-3 * (betas ** 2).mean()
            loss = reprojection + prior
            optimizer.zero_grad()
            optimizer.step()
            if i % 100 == 0:
                print(f"iter {i} loss {loss.item():.5f}")
        return body_pose.detach(), betas.detach(), reprojection.item()


fitter = SMPLify()
pose, betas, final_reprojection = fitter(torch.zeros(N_PEOPLE, N_POSE), torch.zeros(N_PEOPLE, N_BETAS), keypoints_2d)
print(f"FINAL reproj {final_reprojection:.5f}")
