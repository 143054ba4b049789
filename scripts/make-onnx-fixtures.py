#!/usr/bin/python3
"""Writes the ONNX models of test/fixtures/onnx (see the README there).

Run with Debian's python3 and python3-torch 1.13 (no other packages):

    /usr/bin/python3 scripts/make-onnx-fixtures.py
    /usr/bin/python3 scripts/make-onnx-fixtures.py --only mobile-block.onnx   # that file alone

Seeds are fixed; the files come out the same on the same torch build.
"""
import gzip
import io
import os
import sys

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "onnx")
FASHION = os.path.join(ROOT, "resources", "datasets", "fashion-mnist")


def read_idx(name):
    with gzip.open(os.path.join(FASHION, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FashionCnn(nn.Module):
    """Batch norm, a residual add, a stride-2 conv on an even size, a flatten of 16x7x7, dropout, softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn3 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)) + y)
        y = self.pool(y)
        y = torch.relu(self.bn3(self.conv3(y)))
        y = self.drop(torch.relu(self.fc1(torch.flatten(y, 1))))
        return torch.softmax(self.fc2(y), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class ResNet18Cifar(nn.Module):
    """ResNet-18 for 32x32 inputs: a 3x3 stem, no max-pool, four stages of two basic blocks."""

    def __init__(self, width, classes=10):
        super().__init__()
        c = [int(64 * width), int(128 * width), int(256 * width), int(512 * width)]
        self.conv1 = nn.Conv2d(3, c[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0])
        blocks, cin = [], c[0]
        for i, cout in enumerate(c):
            for j in range(2):
                blocks.append(BasicBlock(cin, cout, 2 if i > 0 and j == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c[3], classes)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.pool(self.blocks(y))
        return self.fc(torch.flatten(y, 1))


class OpsMix(nn.Module):
    """The other mapped ops: AveragePool, a 'valid' conv, Sigmoid, a view to [-1, C*H*W], MatMul + Add, Tanh, Gemm with alpha and beta."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.w1 = nn.Parameter(torch.randn(4 * 12 * 12, 24) * 0.05)
        self.b1 = nn.Parameter(torch.randn(24) * 0.1)
        self.w2 = nn.Parameter(torch.randn(24, 10) * 0.3)
        self.b2 = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        y = torch.sigmoid(self.conv(nn.functional.avg_pool2d(x, 2)))
        y = torch.tanh(torch.matmul(y.view(-1, 4 * 12 * 12), self.w1) + self.b1)
        return torch.addmm(self.b2, y, self.w2, beta=0.5, alpha=2.0)


class ZeroPad(torch.autograd.Function):
    """Zero padding of height and width exported as one Pad with constant pads (nn.ZeroPad2d exports a Shape/Slice chain)."""

    @staticmethod
    def forward(ctx, x, pads):
        return nn.functional.pad(x, pads)

    @staticmethod
    def symbolic(g, x, pads):
        left, right, top, bottom = pads
        onnx_pads = g.op("Constant", value_t=torch.tensor([0, 0, top, left, 0, 0, bottom, right], dtype=torch.int64))
        return g.op("Pad", x, onnx_pads, mode_s="constant")


class MobileBlock(nn.Module):
    """MobileNet-style: Pad + a 'valid' depthwise conv, a stride-2 depthwise conv with symmetric padding, ReLU6 (Clip 0..6),
    Concat of channels, LeakyRelu, and Mul by a sigmoid gate."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(8)
        self.dw1 = nn.Conv2d(8, 8, 3, groups=8)
        self.bn1 = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(16, 12, 1)
        self.act = nn.LeakyReLU(0.1)
        self.gate = nn.Conv2d(16, 12, 1)
        self.dw2 = nn.Conv2d(12, 12, 3, stride=2, padding=1, groups=12, bias=False)
        self.bn2 = nn.BatchNorm2d(12)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        stem = nn.functional.relu6(self.bn0(self.stem(x)))
        y = nn.functional.relu6(self.bn1(self.dw1(ZeroPad.apply(stem, (1, 1, 1, 1)))))
        y = torch.cat([y, stem], 1)
        y = self.act(self.pw(y)) * torch.sigmoid(self.gate(y))
        y = nn.functional.relu6(self.bn2(self.dw2(y)))
        y = nn.functional.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.flatten(y, 1))


def train_fashion(model):
    images = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    labels = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    model.train()
    for epoch in range(2):
        order = torch.randperm(len(images))
        for i in range(0, len(images), 128):
            batch = order[i : i + 128]
            # The model ends in a softmax (as many exported classifiers do): train on its log.
            loss = nn.functional.nll_loss(torch.log(model(images[batch]) + 1e-12), labels[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    test_labels = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    with torch.no_grad():
        accuracy = (model(test).argmax(1) == test_labels).float().mean().item()
    print(f"fashion-cnn: test accuracy {accuracy:.4f}")


def settle_batch_norm(model, shape):
    """An untrained model whose batch norms still do something: statistics of random inputs, random affine terms."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.2, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(8):
            model(torch.rand(32, *shape))
    model.eval()


def export(model, shape, name, opset, fold=False):
    model.eval()
    buffer = io.BytesIO()
    # PRESERVE on a model in eval mode keeps the BatchNormalization nodes (EVAL would fold them into the convs).
    torch.onnx.export(
        model,
        torch.zeros(1, *shape),
        buffer,
        opset_version=opset,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=fold,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    data = buffer.getvalue()
    if len(data) >= 1 << 20:
        sys.exit(f"{name} is {len(data)} bytes; fixtures must stay under 1 MiB")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: opset {opset}, {params} parameters, {len(data)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    # `--only NAME` writes that one file and leaves the others' bytes as they are.
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--only" else None
    if only == "mobile-block.onnx":
        write_mobile_block()
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cnn = FashionCnn()
    train_fashion(cnn)
    export(cnn, (1, 28, 28), "fashion-cnn.onnx", 13)

    torch.manual_seed(1)
    # Width 0.125 (stages of 8, 16, 32, 64 channels): at 0.25 the float32 file would be about 2.8 MB.
    resnet = ResNet18Cifar(0.125)
    settle_batch_norm(resnet, (3, 32, 32))
    with torch.no_grad():
        # Logits of a trained model's size (a few units) rather than an untrained one's (tenths).
        resnet.fc.weight.mul_(30)
    export(resnet, (3, 32, 32), "resnet18-cifar-w0125.onnx", 17)

    torch.manual_seed(2)
    export(OpsMix(), (1, 28, 28), "ops-mix.onnx", 15)
    write_mobile_block()


def write_mobile_block():
    torch.manual_seed(3)
    block = MobileBlock()
    settle_batch_norm(block, (1, 28, 28))
    with torch.no_grad():
        block.fc.weight.mul_(20)
    # Folding turns ReLU6's Cast-of-Constant bounds into initializers; the batch norms stay (PRESERVE).
    export(block, (1, 28, 28), "mobile-block.onnx", 13, fold=True)


if __name__ == "__main__":
    main()
