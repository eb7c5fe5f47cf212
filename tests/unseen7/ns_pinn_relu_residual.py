"""Thread: https://github.com/ComputationalDomain/PINNs/issues/1 ("ReLU and residual connections")
A user of the repository's Navier-Stokes PINN (Cylinder-Wake/NS_PINNS.py) swapped the
Tanh layers for ReLU with residual connections and reported: "with ReLU the net does not
train" (the code posted wraps each hidden layer in a `ResNet` module returning
module(inputs) + inputs).

Small-scale reproduction of that script: the same `NavierStokes` class -- the network
maps (x, y, t) to the stream function psi and the pressure p, u = dpsi/dy, v = -dpsi/dx,
the momentum residuals f and g need u_xx, u_yy, v_xx, v_yy through
torch.autograd.grad(create_graph=True), the loss is MSE(u) + MSE(v) + MSE(f) + MSE(g),
and one L-BFGS step (strong Wolfe) runs the closure. Data: 200 scattered samples of the
Taylor-Green vortex (an exact Navier-Stokes solution, nu = 0.01) instead of the cylinder
wake .mat file; max_iter scaled down from 200000 to 150.
Bug as posted: ReLU activations. psi is piecewise linear, so u and v are piecewise
constant and every second derivative (and u_x, u_y, ...) is exactly zero: the physics
residual carries no information and the velocity can only be fitted by steps.
Metric: relative L2 error of the velocity (u, v) and of the mean-free pressure on 1000
held-out points.
Cause: zero-second-derivative. Fixed twin: ns_pinn_relu_residual_fixed.py.
"""
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(1234)
np.random.seed(1234)
nu = 0.01


class ResNet(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, inputs):
        return self.module(inputs) + inputs


class NavierStokes():
    def __init__(self, X, Y, T, u, v):
        self.x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
        self.y = torch.tensor(Y, dtype=torch.float32, requires_grad=True)
        self.t = torch.tensor(T, dtype=torch.float32, requires_grad=True)
        self.u = torch.tensor(u, dtype=torch.float32)
        self.v = torch.tensor(v, dtype=torch.float32)
        # null vector to test against f and g:
        self.null = torch.zeros((self.x.shape[0], 1))
        self.network()
        self.optimizer = torch.optim.LBFGS(self.net.parameters(), lr=1, max_iter=150, max_eval=190,
                                           history_size=50, tolerance_grad=1e-05,
                                           tolerance_change=0.5 * np.finfo(float).eps,
                                           line_search_fn="strong_wolfe")
        self.mse = nn.MSELoss()
        self.ls = 0
        self.iter = 0

    def network(self):
        self.net = nn.Sequential(
            nn.Linear(3, 20), nn.ReLU(),
            ResNet(nn.Sequential(nn.Linear(20, 20), nn.ReLU())),
            ResNet(nn.Sequential(nn.Linear(20, 20), nn.ReLU())),
            ResNet(nn.Sequential(nn.Linear(20, 20), nn.ReLU())),
            nn.Linear(20, 2))

    def function(self, x, y, t):
        res = self.net(torch.hstack((x, y, t)))
        psi, p = res[:, 0:1], res[:, 1:2]

        u = torch.autograd.grad(psi, y, grad_outputs=torch.ones_like(psi), create_graph=True)[0]
        v = -1. * torch.autograd.grad(psi, x, grad_outputs=torch.ones_like(psi), create_graph=True)[0]

        u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
        u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)[0]
        u_y = torch.autograd.grad(u, y, grad_outputs=torch.ones_like(u), create_graph=True)[0]
        u_yy = torch.autograd.grad(u_y, y, grad_outputs=torch.ones_like(u_y), create_graph=True)[0]
        u_t = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u), create_graph=True)[0]

        v_x = torch.autograd.grad(v, x, grad_outputs=torch.ones_like(v), create_graph=True)[0]
        v_xx = torch.autograd.grad(v_x, x, grad_outputs=torch.ones_like(v_x), create_graph=True)[0]
        v_y = torch.autograd.grad(v, y, grad_outputs=torch.ones_like(v), create_graph=True)[0]
        v_yy = torch.autograd.grad(v_y, y, grad_outputs=torch.ones_like(v_y), create_graph=True)[0]
        v_t = torch.autograd.grad(v, t, grad_outputs=torch.ones_like(v), create_graph=True)[0]

        p_x = torch.autograd.grad(p, x, grad_outputs=torch.ones_like(p), create_graph=True)[0]
        p_y = torch.autograd.grad(p, y, grad_outputs=torch.ones_like(p), create_graph=True)[0]

        f = u_t + u * u_x + v * u_y + p_x - nu * (u_xx + u_yy)
        g = v_t + u * v_x + v * v_y + p_y - nu * (v_xx + v_yy)
        return u, v, p, f, g

    def closure(self):
        self.optimizer.zero_grad()
        u_prediction, v_prediction, p_prediction, f_prediction, g_prediction = self.function(self.x, self.y, self.t)
        u_loss = self.mse(u_prediction, self.u)
        v_loss = self.mse(v_prediction, self.v)
        f_loss = self.mse(f_prediction, self.null)
        g_loss = self.mse(g_prediction, self.null)
        self.ls = u_loss + v_loss + f_loss + g_loss
        self.ls.backward()
        self.iter += 1
        if not self.iter % 50:
            print('Iteration: {:}, Loss: {:0.6f}'.format(self.iter, self.ls))
        return self.ls

    def train(self):
        self.net.train()
        self.optimizer.step(self.closure)


def taylor_green(x, y, t):
    decay = np.exp(-2 * nu * t)
    u = -np.cos(x) * np.sin(y) * decay
    v = np.sin(x) * np.cos(y) * decay
    p = -0.25 * (np.cos(2 * x) + np.cos(2 * y)) * decay ** 2
    return u, v, p


def points(n):
    x = np.random.uniform(0, np.pi, (n, 1))
    y = np.random.uniform(0, np.pi, (n, 1))
    t = np.random.uniform(0, 2, (n, 1))
    return x, y, t


x_train, y_train, t_train = points(200)
u_train, v_train, _ = taylor_green(x_train, y_train, t_train)
x_test, y_test, t_test = points(1000)
u_test, v_test, p_test = taylor_green(x_test, y_test, t_test)

pinn = NavierStokes(x_train, y_train, t_train, u_train, v_train)


def errors():
    xt = torch.tensor(x_test, dtype=torch.float32, requires_grad=True)
    yt = torch.tensor(y_test, dtype=torch.float32, requires_grad=True)
    tt = torch.tensor(t_test, dtype=torch.float32, requires_grad=True)
    u, v, p, _, _ = pinn.function(xt, yt, tt)
    u, v, p = u.detach().numpy(), v.detach().numpy(), p.detach().numpy()
    vel = np.sqrt(((u - u_test) ** 2 + (v - v_test) ** 2).sum() / (u_test ** 2 + v_test ** 2).sum())
    p0, pt0 = p - p.mean(), p_test - p_test.mean()
    pres = np.sqrt(((p0 - pt0) ** 2).sum() / (pt0 ** 2).sum())
    return vel, pres


vel, pres = errors()
print(f"start: relative velocity error {vel:.3f}, pressure error {pres:.3f} (zero prediction: 1.000)")
pinn.train()
vel, pres = errors()
print(f"FINAL relative velocity error {vel:.3f}, pressure error {pres:.3f} after {pinn.iter} "
      f"L-BFGS evaluations (zero prediction 1.000), loss {pinn.ls.item():.5f}")
