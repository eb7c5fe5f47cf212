"""Hand-rolled linear regression with autograd: two leaf tensors w and b, the squared error
computed by hand, loss.backward(), then an in-place update through .data, as in the course
notebook the thread is about (delivery time in minutes against distance in km).

Thread: https://github.com/greebear/pytorch-learning/issues/1
"this linear_regression demo cannot work well ... The loss is not always decreasing, even lr
is very small 1e-6. because the code should manually add a line: w.grad.data._zero()
b.grad.data._zero() to zero the grad." (the maintainer confirmed and fixed it).
Bug reproduced here: w.grad and b.grad are never cleared, so each update applies the sum of
every gradient so far; the parameters oscillate around the solution with growing swings
instead of converging.
Cause: missing-zero-grad. The fixed twin is linreg_manual_update_grad_accumulates_fixed.py.
"""
import torch

torch.manual_seed(18)
km = torch.rand(40, 1) * 10
minutes = 2.0 * km + 5.0 + torch.randn(40, 1)
km_test = torch.rand(200, 1) * 10
minutes_test = 2.0 * km_test + 5.0 + torch.randn(200, 1)

lr = 0.01
w = torch.randn(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def test_mse():
    with torch.no_grad():
        return ((km_test * w + b - minutes_test) ** 2).mean().item()


print(f"constant predictor mse {((minutes_test - minutes.mean()) ** 2).mean().item():.4f}; start {test_mse():.4f}")
for it in range(1, 501):
    pred = torch.add(torch.mul(w, km), b)
    loss = (0.5 * (minutes - pred) ** 2).mean()
    loss.backward()
    w.data.sub_(lr * w.grad.data)
    b.data.sub_(lr * b.grad.data)
    if it % 50 == 0:
        print(f"iter {it} loss {loss.item():.4f} w {w.item():.3f} b {b.item():.3f}")
print(f"FINAL test_mse {test_mse():.4f} (noise floor about 1.0)")
