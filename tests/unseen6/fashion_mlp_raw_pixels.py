"""Dense classifier for 28x28 grey-scale clothing images (10 classes), ported from the Keras
model in the thread: Flatten -> Dense(128, relu) -> Dense(128, relu) -> Dense(10), Adam,
categorical cross-entropy, Glorot-uniform weights and zero biases as Keras initialises them.
The images are synthetic stand-ins for Fashion-MNIST: each class is a silhouette (shirt,
trousers, bag, shoe, ...) drawn at a random offset and brightness, with texture noise, stored
as uint8 pixel values 0..255 as load_data() returns them. (Keras clips the softmax
probabilities, which kills the gradient of saturated samples; PyTorch's fused log-softmax
does not, so the PyTorch port still learns, but worse and with loss spikes in the thousands
of percent, than the same network on pixels / 255.)

Thread: https://stats.stackexchange.com/questions/367057/bad-performance-with-relu-activation-function-on-mnist-data-set
"This gives me a validation_acc of around 20% ... if I increase the number of nodes in the
hidden layers I often get a network that doesn't learn at all. EDIT: I figured out it has
something to do with me not normalizing the input to values between 0 and 1".
Bug reproduced here: the raw 0..255 pixel values are fed to the first Dense layer.
Cause: unscaled-inputs. The fixed twin is fashion_mlp_raw_pixels_fixed.py.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)


def silhouettes():
    m = torch.zeros(10, 28, 28)
    m[0, 6:22, 8:20] = 1; m[0, 6:12, 4:24] = 1                  # t-shirt
    m[1, 4:26, 9:13] = 1; m[1, 4:26, 15:19] = 1; m[1, 4:8, 9:19] = 1   # trouser
    m[2, 6:24, 8:20] = 1; m[2, 6:20, 3:8] = 1; m[2, 6:20, 20:25] = 1  # pullover
    m[3, 5:25, 10:18] = 1; m[3, 18:25, 7:21] = 1                 # dress
    m[4, 5:25, 6:22] = 1; m[4, 5:9, 3:25] = 1; m[4, 10:24, 13:15] = 0  # coat
    m[5, 18:22, 4:24] = 1; m[5, 15:18, 14:24] = 1                # sandal
    m[6, 5:23, 7:21] = 1; m[6, 5:9, 11:17] = 0                   # shirt
    m[7, 17:23, 3:25] = 1; m[7, 13:17, 15:25] = 1                # sneaker
    m[8, 10:24, 5:23] = 1; m[8, 5:10, 10:18] = 1; m[8, 7:10, 12:16] = 0  # bag
    m[9, 8:23, 14:22] = 1; m[9, 19:23, 4:22] = 1                 # ankle boot
    return m


SIL = silhouettes()


def load_data(n):
    y = torch.randint(0, 10, (n,))
    imgs = torch.zeros(n, 28, 28)
    dx, dy = torch.randint(-4, 5, (n,)), torch.randint(-4, 5, (n,))
    for i in range(n):
        imgs[i] = torch.roll(SIL[y[i]], shifts=(dy[i].item(), dx[i].item()), dims=(0, 1))
    # blur the outline a little and occlude a random 10x10 patch
    imgs = F.avg_pool2d(imgs.unsqueeze(1), 3, 1, 1).squeeze(1)
    r, c = torch.randint(0, 18, (n,)), torch.randint(0, 18, (n,))
    for i in range(n):
        imgs[i, r[i]:r[i] + 10, c[i]:c[i] + 10] *= 0.2
    bright = torch.empty(n, 1, 1).uniform_(60, 255)
    texture = 1 + 0.6 * torch.randn(n, 28, 28)
    pixels = (imgs * bright * texture + 60 * torch.rand(n, 28, 28)).clamp(0, 255)
    return pixels.to(torch.uint8), y


(x_train, y_train), (x_test, y_test) = load_data(6000), load_data(2000)
x_train = x_train.float()
x_test = x_test.float()

model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                      nn.Linear(128, 10))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def accuracy():
    with torch.no_grad():
        return (model(x_test).argmax(1) == y_test).float().mean().item()


print(f"chance 0.100; start acc {accuracy():.3f}")
for epoch in range(8):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 32):
        b = perm[i:i + 32]
        loss = F.cross_entropy(model(x_train[b]), y_train[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f} val acc {accuracy():.3f}")
print(f"FINAL val_acc {accuracy():.3f}")
