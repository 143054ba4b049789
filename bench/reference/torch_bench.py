"""PyTorch reference for `npm run bench`: the same models, data and optimiser as the engine's.

Run by bench/run.ts with Debian's python3-torch, one workload per call, interleaved with the
engine's own measurement of the same workload. Prints one JSON object on stdout.

  python3 bench/reference/torch_bench.py <workload> --threads 1 --samples 2560 --batch 128

Workloads: <arch>-train and <arch>-eval for mlp, cnn-small and resnet-mini; matmul-peak.
resnet-9-train and resnet-18-train take --width (channel multiplier) and --input random-32x32x3:
seeded random CIFAR-sized images and labels instead of Fashion-MNIST.
"""
import argparse
import gzip
import json
import os
import resource
import struct
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, 'resources', 'datasets', 'fashion-mnist')

# As in src/main/engine/model/architectures.ts: Keras-style BN momentum 0.9 is PyTorch's 0.1.
BN = dict(eps=1e-3, momentum=0.1)


def read_idx(name, limit):
    with gzip.open(os.path.join(DATA, name), 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        dims = struct.unpack('>' + 'I' * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        data = np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)
    return data[:limit]


def load(split, limit):
    prefix = 'train' if split == 'train' else 't10k'
    x = read_idx(f'{prefix}-images-idx3-ubyte.gz', limit).astype(np.float32) / 255.0
    y = read_idx(f'{prefix}-labels-idx1-ubyte.gz', limit).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def conv_bn_relu(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, **BN), nn.ReLU()]


def random_images(shape, count, seed):
    # Both sides train on noise: the timing, not the accuracy, is compared.
    g = torch.Generator().manual_seed(seed)
    h, w, c = shape
    return torch.randn(count, c, h, w, generator=g), torch.randint(0, 10, (count,), generator=g)


class Residual(nn.Module):
    # ResNet-9's x + f(x), with no activation after the sum.
    def __init__(self, *layers):
        super().__init__()
        self.f = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.f(x)


def scaled(count, width):
    return max(1, round(count * width))


def resnet9(cin, width):
    c = [scaled(n, width) for n in (64, 128, 256, 512)]
    return nn.Sequential(
        *conv_bn_relu(cin, c[0]),
        *conv_bn_relu(c[0], c[1]), nn.MaxPool2d(2), Residual(*conv_bn_relu(c[1], c[1]), *conv_bn_relu(c[1], c[1])),
        *conv_bn_relu(c[1], c[2]), nn.MaxPool2d(2),
        *conv_bn_relu(c[2], c[3]), nn.MaxPool2d(2), Residual(*conv_bn_relu(c[3], c[3]), *conv_bn_relu(c[3], c[3])),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(c[3], 10))


def resnet18(cin, width):
    c = [scaled(n, width) for n in (64, 128, 256, 512)]
    layers = [*conv_bn_relu(cin, c[0])]
    prev = c[0]
    for s, k in enumerate(c):
        layers += [Block(prev, k, 2 if s > 0 else 1), Block(k, k, 1)]
        prev = k
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(prev, 10))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(*conv_bn_relu(cin, cout, stride), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout, **BN))
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout, **BN))

    def forward(self, x):
        return torch.relu(self.main(x) + (self.proj(x) if self.proj is not None else x))


def build(arch, cin=1, width=1.0):
    if arch == 'resnet-9':
        return resnet9(cin, width)
    if arch == 'resnet-18':
        return resnet18(cin, width)
    if arch == 'mlp':
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if arch == 'cnn-small':
        return nn.Sequential(
            *conv_bn_relu(1, 16), nn.MaxPool2d(2),
            *conv_bn_relu(16, 32), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 32, 64), nn.ReLU(), nn.Linear(64, 10))
    if arch == 'resnet-mini':
        return nn.Sequential(
            *conv_bn_relu(1, 16), Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    raise SystemExit(f'unknown architecture {arch}')


def train_epoch(model, opt, x, y, batch, generator):
    model.train()
    order = torch.randperm(len(x), generator=generator)
    loss_fn = nn.CrossEntropyLoss()
    for start in range(0, len(x), batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    return float(loss)


def evaluate(model, x, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            correct += int((model(x[start:start + batch]).argmax(1) == 0).sum())
    return correct


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument('workload')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--samples', type=int, default=2560)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--width', type=float, default=1.0)
    p.add_argument('--input', default='fashion-mnist', help='fashion-mnist, or random-HxWxC')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)

    if a.workload == 'matmul-peak':
        n = 1024
        m1, m2 = torch.rand(n, n), torch.rand(n, n)
        torch.mm(m1, m2)
        reps = 10
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(m1, m2)
        seconds = (time.perf_counter() - t) / reps
        print(json.dumps({'gflops': 2 * n ** 3 / seconds / 1e9, 'peakRssMb': peak_rss_mb(), 'torch': torch.__version__, 'threads': a.threads}))
        return

    arch, kind = a.workload.rsplit('-', 1)
    shape = [int(n) for n in a.input[len('random-'):].split('x')] if a.input.startswith('random-') else None
    model = build(arch, shape[2] if shape else 1, a.width)
    if kind == 'train':
        x, y = random_images(shape, a.samples, 0) if shape else load('train', a.samples)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        # The same warm-up as the engine's: two batches, then one timed epoch.
        train_epoch(model, opt, x[:2 * a.batch], y[:2 * a.batch], a.batch, g)
        t = time.perf_counter()
        train_epoch(model, opt, x, y, a.batch, g)
        seconds = time.perf_counter() - t
        count = len(x)
    elif kind == 'eval':
        x, _ = load('test', 5000)
        evaluate(model, x[:a.batch], a.batch)
        t = time.perf_counter()
        evaluate(model, x, a.batch)
        seconds = time.perf_counter() - t
        count = len(x)
    else:
        raise SystemExit(f'unknown workload {a.workload}')
    print(json.dumps({'samplesPerSecond': count / seconds, 'peakRssMb': peak_rss_mb(), 'torch': torch.__version__, 'threads': a.threads}))


if __name__ == '__main__':
    main()
