"""Times PyTorch training steps at the paper's shapes, for the side-by-side table in issue 3.

    .venv-torch/bin/python scripts/torch/bench.py --model ple --batch 2048 --steps 20 --threads 2 [--json]
    .venv-torch/bin/python scripts/torch/bench.py --model all

A step = forward, mean-over-tasks BCE, backward, Adam (lr 1e-3, wd 1e-6), dropout 0.2 on, on random
inputs: 7 categorical fields [1000, 1000, 1000, 3, 1200, 50, 50] + 1 numeric, two 0/1 labels.
`--model critic` times one CriticNeg step (1152 -> 512 -> 256 -> 128 -> 64 -> 1, MSE to a target).
"""
import argparse
import json
import time

import torch

import models

FIELDS = [1000, 1000, 1000, 3, 1200, 50, 50]


def bench(name, batch, steps, warmup):
    g = torch.Generator().manual_seed(0)
    cat = torch.stack([torch.randint(0, n, (batch,), generator=g) for n in FIELDS], dim=1)
    num = torch.zeros(batch, 1)
    labels = torch.randint(0, 2, (batch, 2), generator=g).float()
    torch.manual_seed(2022)
    if name == "critic":
        model = models.CriticNeg(FIELDS, 1, 128, [512, 256], [128, 64], 0.2)
        action = torch.rand(batch, 1, generator=g)
        target = -torch.rand(batch, generator=g)
        loss_fn = lambda: torch.mean((model(cat, num, action) - target) ** 2)  # noqa: E731
    else:
        model = models.make_model(name, FIELDS)
        loss_fn = lambda: models.mtl_loss(model(cat, num), labels)  # noqa: E731
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-6)

    def step():
        opt.zero_grad()
        loss_fn().backward()
        opt.step()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return batch * steps / seconds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="all")
    p.add_argument("--batch", type=int, default=2048)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    names = models.MODEL_NAMES + ["critic"] if a.model == "all" else [a.model]
    for name in names:
        rate = bench(name, a.batch, a.steps, a.warmup)
        if a.json:
            print(json.dumps({"model": name, "batch": a.batch, "threads": a.threads, "samples_per_s": round(rate, 1),
                              "torch": torch.__version__}))
        else:
            print(f"{name:13s} batch {a.batch} threads {a.threads}: {rate:10.0f} samples/s  (torch {torch.__version__})")


if __name__ == "__main__":
    main()
