"""PyTorch reference of the unlearning runs in `npm run bench`: the same task, model, optimiser and
amount of work as the engine's run, so the two can be timed side by side.

Run by bench/run.ts right after the engine's run of the same method, with one JSON argument:

  python3 bench/reference/torch_methods.py '{"method": "rem", "spec": {...}, "params": {...},
                                             "schedule": {...}, "cacheDir": "/tmp/..."}'

`spec` is the task spec with defaults filled in, `params` the method's parameters. `schedule` holds
what was data-dependent in the engine's run (REM's Flush epochs per round), so both do the same
number of steps. The original model is trained once per spec (untimed) and cached in `cacheDir`.
Only the unlearning is timed, as the engine's `seconds` is. Prints one JSON object.

The `sweep` workload instead times a whole sweep (originals, finetunes and their evaluations);
see sweep() for what it covers.
"""
import copy
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torch_bench import BN, build, load, peak_rss_mb

# ----------------------------------------------------------------------------- data and tasks


_loaded = {}


def cached_load(split, limit):
    # The engine's process reads the dataset once too; a sweep must not pay for it per run.
    if (split, limit) not in _loaded:
        _loaded[(split, limit)] = load(split, limit)
    return _loaded[(split, limit)]


def make_task(spec, seed):
    """Training and test tensors, with the task's forget and retain indices (and corruption applied)."""
    d = spec['dataset']
    x, y = cached_load('train', d.get('trainLimit', 60000))
    xt, yt = cached_load('test', d.get('testLimit', 10000))
    x, y = x.clone(), y.clone()
    rng = np.random.default_rng(seed)
    task = spec['task']
    n = len(y)
    if task['kind'] == 'class':
        forget = np.flatnonzero(np.isin(y.numpy(), task['classes']))
    elif task['kind'] == 'random':
        forget = np.sort(rng.choice(n, int(round(task['fraction'] * n)), replace=False))
    elif task['kind'] == 'corrupted':
        target = task.get('trigger', {}).get('targetClass', 0)
        pool = np.arange(n) if task['corruption'] != 'poison' else np.flatnonzero(y.numpy() != target)
        corrupted = rng.choice(pool, task['corruptedCount'], replace=False)
        if task['corruption'] == 'poison':
            x[corrupted, :, -3:, -3:] = 1.0
            y[corrupted] = target
        else:
            y[corrupted] = (y[corrupted] + 1 + torch.from_numpy(rng.integers(0, 9, len(corrupted)))) % 10
        forget = np.sort(corrupted[: int(round(task['discoveryRate'] * len(corrupted)))])
    else:
        raise SystemExit(f"unknown task kind {task['kind']}")
    retain = np.setdiff1d(np.arange(n), forget)
    return {'x': x, 'y': y, 'xt': xt, 'yt': yt, 'forget': torch.from_numpy(forget), 'retain': torch.from_numpy(retain)}


def batches(indices, batch, generator=None):
    order = indices[torch.randperm(len(indices), generator=generator)] if generator is not None else indices
    for start in range(0, len(order), batch):
        yield order[start:start + batch]


# ----------------------------------------------------------------------------- training


def sgd(params, lr, momentum=0.9, weight_decay=0.0):
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def train(model, x, y, indices, epochs, batch, lr, recipe, generator, grad_masks=None, floor=0.0):
    """The engine's trainClassifier: shuffled epochs, SGD or Adam, constant or per-step cosine schedule."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adam(params, lr=lr) if recipe.get('optimizer') == 'adam'
           else sgd(params, lr, recipe.get('momentum', 0.9), recipe.get('weightDecay', 0.0)))
    total = epochs * math.ceil(len(indices) / batch)
    step = 0
    model.train()
    for _ in range(epochs):
        for idx in batches(indices, batch, generator):
            if recipe.get('schedule', 'cosine') == 'cosine':
                for group in opt.param_groups:
                    group['lr'] = lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * step / total)))
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            if grad_masks is not None:
                for p, m in grad_masks:
                    p.grad.mul_(m)
            opt.step()
            step += 1
    return step


def accuracy(model, x, y, indices=None, batch=500):
    model.eval()
    idx = torch.arange(len(y)) if indices is None else indices
    correct = 0
    with torch.no_grad():
        for start in range(0, len(idx), batch):
            part = idx[start:start + batch]
            correct += int((model(x[part]).argmax(1) == y[part]).sum())
    return correct / max(1, len(idx))


def original_model(spec, data, seed, cache_dir):
    """The task's original model, trained on the whole (corrupted) training set; cached per spec."""
    key = hashlib.sha256(json.dumps({'spec': spec, 'seed': seed}, sort_keys=True).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f'original-{key}.pt') if cache_dir else None
    torch.manual_seed(seed)
    model = build(spec['model']['arch'], 1, spec['model'].get('width', 1.0))
    if path and os.path.exists(path):
        model.load_state_dict(torch.load(path))
        return model
    t = spec['train']
    train(model, data['x'], data['y'], torch.arange(len(data['y'])), t['epochs'], t['batchSize'], t['learningRate'], t,
          torch.Generator().manual_seed(seed))
    if path:
        torch.save(model.state_dict(), path)
    return model


def fresh_init(module):
    """A layer's initial values, as a new model gets them (BN: γ = 1, β = 0)."""
    clone = copy.deepcopy(module)
    if isinstance(clone, nn.BatchNorm2d):
        nn.init.ones_(clone.weight)
        nn.init.zeros_(clone.bias)
    else:
        clone.reset_parameters()
    return clone


# ----------------------------------------------------------------------------- methods


def retrain(spec, params, data, seed, original, schedule):
    torch.manual_seed(seed + 1)
    model = build(spec['model']['arch'], 1, spec['model'].get('width', 1.0))
    t = spec['train']
    steps = train(model, data['x'], data['y'], data['retain'], t['epochs'], t['batchSize'], t['learningRate'], t,
                  torch.Generator().manual_seed(seed))
    return steps


def finetune(spec, params, data, seed, original, schedule):
    t = spec['train']
    return train(original, data['x'], data['y'], data['retain'], params['epochs'], t['batchSize'], params['learningRate'], t,
                 torch.Generator().manual_seed(seed))


def channel_scores(values):
    """DEL's unit scores: the mean of each output unit's top-h entries, h = max(1, ⌊0.1·units⌋)."""
    if values.dim() < 2:
        return values
    units = values.shape[0]
    rows = values.reshape(units, -1)
    h = min(max(1, int(0.1 * units)), rows.shape[1])
    return rows.topk(h, dim=1).values.mean(1, keepdim=True).expand_as(rows).reshape(values.shape)


def delete(spec, params, data, seed, original, schedule):
    """DEL: |θ·Σ∇(−CE)| on the forget set, reset the top `budget` of parameters, finetune only those and the head."""
    model = original
    t = spec['train']
    named = [(n, p) for n, p in model.named_parameters()]
    sums = [torch.zeros_like(p) for _, p in named]
    model.eval()
    for idx in batches(data['forget'], t['batchSize']):
        model.zero_grad(set_to_none=True)
        (-F.cross_entropy(model(data['x'][idx]), data['y'][idx])).backward()
        for s, (_, p) in zip(sums, named):
            s.add_(p.grad)
    with torch.no_grad():
        scores = [channel_scores((s * p).abs()) for s, (_, p) in zip(sums, named)]
        flat = torch.cat([s.flatten() for s in scores])
        k = int(params['budget'] * flat.numel())
        selected = torch.zeros(flat.numel())
        selected[flat.topk(k).indices] = 1
        masks, offset = [], 0
        for _, p in named:
            masks.append(selected[offset:offset + p.numel()].reshape(p.shape))
            offset += p.numel()
        fresh = {}
        for name, module in model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)):
                for leaf, value in fresh_init(module).named_parameters():
                    fresh[f'{name}.{leaf}'] = value
        for (name, p), m in zip(named, masks):
            p.copy_(p * (1 - m) + fresh[name] * m)
    head = {n for n, _ in named if n.startswith(str(len(model) - 1) + '.')}
    grad_masks = [(p, torch.ones_like(p) if n in head else m) for (n, p), m in zip(named, masks)]
    recipe = {**t, 'optimizer': 'sgd', 'momentum': 0.9, 'weightDecay': 0.0, 'schedule': 'cosine'}
    return train(model, data['x'], data['y'], data['retain'], params.get('epochs') or t['epochs'], t['batchSize'],
                 params['learningRate'], recipe, torch.Generator().manual_seed(seed), grad_masks, floor=0.01)


def unsir(spec, params, data, seed, original, schedule):
    """UNSIR: error-maximising noise per forgotten class, then Impair and Repair on a retain subset."""
    model = original
    forgotten = spec['task']['classes']
    y = data['y']
    taken, subset = {}, []
    for i in data['retain'].tolist():
        c = int(y[i])
        if c in forgotten or taken.get(c, 0) >= params['retainPerClass']:
            continue
        subset.append(i)
        taken[c] = taken.get(c, 0) + 1
    subset = torch.tensor(subset)
    noises, labels = [], []
    steps = 0
    for cls in forgotten:
        noise = torch.randn(params['noiseBatch'], *data['x'].shape[1:], generator=torch.Generator().manual_seed(seed + cls)).requires_grad_()
        opt = torch.optim.Adam([noise], lr=params['noiseLearningRate'])
        target = torch.full((params['noiseBatch'],), cls)
        model.eval()
        for _ in range(params['noiseSteps']):
            opt.zero_grad(set_to_none=True)
            ce = F.cross_entropy(model(noise), target)
            norm = noise.pow(2).sum(dim=(1, 2, 3)).mean()
            (-ce + params['noiseWeight'] * norm).backward()
            opt.step()
            steps += 1
        noises += [noise.detach()] * params['noiseCopies']
        labels += [target] * params['noiseCopies']
    impair_x = torch.cat(noises + [data['x'][subset]])
    impair_y = torch.cat(labels + [y[subset]])
    adam = {'optimizer': 'adam', 'schedule': 'constant'}
    g = torch.Generator().manual_seed(seed)
    steps += train(model, impair_x, impair_y, torch.arange(len(impair_y)), 1, 256, params['impairLearningRate'], adam, g)
    steps += train(model, data['x'][subset], y[subset], torch.arange(len(subset)), 1, 256, params['repairLearningRate'], adam, g)
    return steps


def mnemonic(spec, params, data, seed, original, schedule):
    """One-shot Mnemonic-code unlearning: Fisher ratio from one code per class, one perturbation, the better sign."""
    model = original
    forgotten = set(spec['task']['classes'])
    codes = torch.rand(10, *data['x'].shape[1:], generator=torch.Generator().manual_seed(seed))
    named = [p for p in model.parameters()]
    fisher_f = [torch.full_like(p, 1e-16) for p in named]
    fisher_r = [torch.full_like(p, 1e-16) for p in named]
    model.eval()
    for c in range(10):
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(codes[c:c + 1]), torch.tensor([c])).backward()
        for acc, p in zip(fisher_f if c in forgotten else fisher_r, named):
            acc.add_(p.grad.pow(2))
    with torch.no_grad():
        shifts = []
        for f, r in zip(fisher_f, fisher_r):
            eta = (f / len(forgotten)) / (r / (10 - len(forgotten)))
            top = float(eta[torch.isfinite(eta)].max())
            shifts.append((eta, min(params['lambda1'], params['lambda2'] / top) if top > 0 else params['lambda1']))
        best = None
        for sign in (1, -1):
            candidate = copy.deepcopy(model)
            for p, (eta, alpha) in zip(candidate.parameters(), shifts):
                p.add_(eta * sign * alpha)
            pred = candidate(codes).argmax(1)
            hits = [int(pred[c]) == c for c in range(10)]
            score = 1 - np.mean([hits[c] for c in forgotten]) + np.mean([hits[c] for c in range(10) if c not in forgotten])
            if best is None or score >= best[0]:
                best = (score, candidate)
    return 0


class Widened(nn.Module):
    """REM's widened model of `mlp` or `cnn-small`: every hidden layer gets `extra` new output channels,
    whose activations are multiplied by a per-sample channel mask where a weight layer reads them."""

    def __init__(self, original, arch, capacity):
        super().__init__()
        self.arch = arch
        grow = lambda c: max(1, round(c * (1 - capacity) / capacity))
        src = list(original)
        if arch == 'cnn-small':
            conv1, bn1, conv2, bn2, dense1, dense2 = src[0], src[1], src[4], src[5], src[9], src[11]
            self.widths = [(16, grow(16)), (32, grow(32)), (64, grow(64))]
            (c1, e1), (c2, e2), (d1, e3) = self.widths
            self.conv1 = self._widen(conv1, nn.Conv2d(1, c1 + e1, 3, 1, 1, bias=False))
            self.bn1 = self._widen_bn(bn1, c1 + e1)
            self.conv2 = self._widen(conv2, nn.Conv2d(c1 + e1, c2 + e2, 3, 1, 1, bias=False))
            self.bn2 = self._widen_bn(bn2, c2 + e2)
            self.dense1 = nn.Linear(49 * (c2 + e2), d1 + e3)
            with torch.no_grad():
                # NCHW flatten: rows are channel-major, so the original channels are the first 32 × 49 rows.
                self.dense1.weight.view(d1 + e3, c2 + e2, 49)[:d1, :c2] = dense1.weight.view(d1, c2, 49)
                self.dense1.bias[:d1] = dense1.bias
                self.dense1.bias[d1:] = 0
            self.dense2 = self._widen(dense2, nn.Linear(d1 + e3, 10))
        elif arch == 'mlp':
            l1, l2, l3 = src[1], src[3], src[5]
            self.widths = [(256, grow(256)), (128, grow(128))]
            (h1, e1), (h2, e2) = self.widths
            self.l1 = self._widen(l1, nn.Linear(784, h1 + e1))
            self.l2 = self._widen(l2, nn.Linear(h1 + e1, h2 + e2))
            self.l3 = self._widen(l3, nn.Linear(h2 + e2, 10))
        else:
            raise SystemExit(f'the REM reference widens mlp and cnn-small, not {arch}')

    @staticmethod
    def _widen(old, new):
        with torch.no_grad():
            new.weight[:old.weight.shape[0], :old.weight.shape[1]] = old.weight
            if old.bias is not None:
                new.bias[:old.bias.shape[0]] = old.bias
                new.bias[old.bias.shape[0]:] = 0
        return new

    @staticmethod
    def _widen_bn(old, channels):
        new = nn.BatchNorm2d(channels, **BN)
        n = old.num_features
        with torch.no_grad():
            new.weight[:n], new.bias[:n] = old.weight, old.bias
            new.running_mean[:n], new.running_var[:n] = old.running_mean, old.running_var
        return new

    def forward(self, x, masks):
        if self.arch == 'mlp':
            h = F.relu(self.l1(x.flatten(1))) * masks[0]
            h = F.relu(self.l2(h)) * masks[1]
            return self.l3(h)
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2) * masks[0][:, :, None, None]
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2) * masks[1][:, :, None, None]
        h = F.relu(self.dense1(h.flatten(1))) * masks[2]
        return self.dense2(h)

    def narrow(self, original):
        """The original architecture with the current original-channel weights."""
        model = copy.deepcopy(original)
        src = list(model)
        with torch.no_grad():
            if self.arch == 'mlp':
                (h1, _), (h2, _) = self.widths
                for layer, wide, rows, cols in ((src[1], self.l1, h1, 784), (src[3], self.l2, h2, h1), (src[5], self.l3, 10, h2)):
                    layer.weight.copy_(wide.weight[:rows, :cols])
                    layer.bias.copy_(wide.bias[:rows])
                return model
            (c1, _), (c2, e2), (d1, _) = self.widths
            src[0].weight.copy_(self.conv1.weight[:c1])
            src[4].weight.copy_(self.conv2.weight[:c2, :c1])
            for bn, wide, c in ((src[1], self.bn1, c1), (src[5], self.bn2, c2)):
                bn.weight.copy_(wide.weight[:c])
                bn.bias.copy_(wide.bias[:c])
                bn.running_mean.copy_(wide.running_mean[:c])
                bn.running_var.copy_(wide.running_var[:c])
            src[9].weight.copy_(self.dense1.weight.view(-1, c2 + e2, 49)[:d1, :c2].reshape(d1, c2 * 49))
            src[9].bias.copy_(self.dense1.bias[:d1])
            src[11].weight.copy_(self.dense2.weight[:, :d1])
            src[11].bias.copy_(self.dense2.bias)
        return model


def rem(spec, params, data, seed, original, schedule):
    """REM: Flush (NPO through the original channels) and Repair (redirect every sample into its own
    new channels, D_f into one shared subset) per round, the label-free proxy per round, narrow at the end."""
    x, y, forget, retain = data['x'], data['y'], data['forget'], data['retain']
    n = len(y)
    wide = Widened(original, spec['model']['arch'], params['capacity'])
    reference = copy.deepcopy(wide)
    gen = torch.Generator().manual_seed(seed)
    # Row n is the shared mask every sample of D_f switches on.
    bits = [(torch.rand(n + 1, e, generator=gen) < params['pMem']).float() for _, e in wide.widths]
    in_forget = torch.zeros(n, dtype=torch.bool)
    in_forget[forget] = True
    beta = params['beta']

    def masks(idx, mode):
        ones = [torch.ones(len(idx), c) for c, _ in wide.widths]
        if mode == 'drop':
            return [torch.cat([o, torch.zeros(len(idx), e)], 1) for o, (_, e) in zip(ones, wide.widths)]
        rows = torch.where(in_forget[idx], torch.tensor(n), idx)
        return [torch.cat([o, b[rows]], 1) for o, b in zip(ones, bits)]

    def ce(model, idx, mode, training):
        model.train(training)
        return F.cross_entropy(model(x[idx], masks(idx, mode)), y[idx], reduction='none')

    def npo(c, ref):
        return (2 / beta) * F.softplus(beta * (ref - c))

    def redirect(c, ref):
        return -(2 / beta) * F.softplus(-beta * (c - ref))

    opt = sgd(wide.parameters(), params['learningRate'], params['momentum'], params['weightDecay'])
    threshold = 0.2 if params['removalThreshold'] == 'auto' else params['removalThreshold']
    batch = spec['train']['batchSize']
    best = None
    steps = 0

    def evaluate():
        nonlocal best
        narrowed = wide.narrow(original)
        drop = accuracy(narrowed, x, y, forget)
        proxy = accuracy(narrowed, x, y, retain) * (1 - max(drop, threshold))
        wide.eval()
        with torch.no_grad():
            accuracy_masked = float((wide(x[forget], masks(forget, 'mask')).argmax(1) == y[forget]).float().mean())
        if best is None or proxy > best[0]:
            best = (proxy, narrowed)
        return drop, accuracy_masked

    evaluate()
    for round_ in range(params['rounds']):
        for _ in range(schedule['flushEpochs'][round_]):
            for idx in batches(forget, batch, gen):
                with torch.no_grad():
                    ref = ce(reference, idx, 'mask', False)
                opt.zero_grad(set_to_none=True)
                npo(ce(wide, idx, 'drop', False), ref).mean().backward()
                opt.step()
                steps += 1
            accuracy(wide.narrow(original), x, y, forget)
        for idx in batches(torch.arange(n), batch, gen):
            with torch.no_grad():
                ref = ce(reference, idx, 'mask', False)
            opt.zero_grad(set_to_none=True)
            drop = ce(wide, idx, 'drop', True)
            channel = redirect(ce(wide, idx, 'mask', True), ref)
            removal = npo(drop, ref) * in_forget[idx].float()
            (channel + removal).mean().backward()
            opt.step()
            steps += 1
        evaluate()
    return steps


# ----------------------------------------------------------------------------- the sweep


def sweep(spec, cells):
    """The comparison sweep as the engine runs it with one job: per (corruption, seed) one original
    trained and evaluated per cell; per cell and seed one finetune, trained and evaluated (train and
    test predictions, and the triggered test set for poison)."""
    runs = 0
    t = spec['train']
    ft = next(m for m in spec['methods'] if m['id'] == 'finetune')['params']
    for corruption in sorted({c['corruption'] for c in cells}):
        for seed in spec['seeds']:
            base = {**spec, 'task': {**spec['task'], 'corruption': corruption}}
            data = make_task(base, seed)
            original = original_model(base, data, seed, None)
            for cell in (c for c in cells if c['corruption'] == corruption):
                task_data = make_task({**base, 'task': {**base['task'], 'discoveryRate': cell['discoveryRate']}}, seed)
                for model in (original, copy.deepcopy(original)):
                    if model is not original:
                        train(model, task_data['x'], task_data['y'], task_data['retain'], ft['epochs'], t['batchSize'],
                              ft['learningRate'], t, torch.Generator().manual_seed(seed))
                    accuracy(model, task_data['x'], task_data['y'])
                    accuracy(model, task_data['xt'], task_data['yt'])
                    if corruption == 'poison':
                        triggered = task_data['xt'].clone()
                        triggered[:, :, -3:, -3:] = 1.0
                        accuracy(model, triggered, task_data['yt'])
                    runs += 1
    return runs


METHODS = {'retrain': retrain, 'finetune': finetune, 'del': delete, 'unsir': unsir, 'mnemonic': mnemonic, 'rem': rem}


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job.get('threads', 1))
    spec = job['spec']
    if job['method'] == 'sweep':
        t = time.perf_counter()
        runs = sweep(spec, job['cells'])
        seconds = time.perf_counter() - t
        print(json.dumps({'seconds': seconds, 'runs': runs, 'peakRssMb': peak_rss_mb(), 'torch': torch.__version__}))
        return
    if job['method'] not in METHODS:
        raise SystemExit(f"no PyTorch reference for {job['method']}")
    seed = job.get('seed', 0)
    data = make_task(spec, seed)
    original = original_model(spec, data, seed, job.get('cacheDir'))
    torch.manual_seed(seed)
    t = time.perf_counter()
    steps = METHODS[job['method']](spec, job['params'], data, seed, original, job.get('schedule', {}))
    seconds = time.perf_counter() - t
    print(json.dumps({'seconds': seconds, 'steps': steps, 'peakRssMb': peak_rss_mb(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
