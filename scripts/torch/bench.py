"""Times PyTorch training steps at the paper's shapes, for the side-by-side table in issue 3.

    .venv-torch/bin/python scripts/torch/bench.py --model ple --batch 2048 --steps 20 --threads 2 [--json]
    .venv-torch/bin/python scripts/torch/bench.py --model all

A step = forward, mean-over-tasks BCE, backward, Adam (lr 1e-3, wd 1e-6), dropout 0.2 on, on random
inputs: 7 categorical fields [1000, 1000, 1000, 3, 1200, 50, 50] + 1 numeric, two 0/1 labels.
`--model critic` times one CriticNeg step (1152 -> 512 -> 256 -> 128 -> 64 -> 1, MSE to a target).
`--model critic-update` times one whole critic update of the RL stage as the authors' code does it
(agents/DDPG_ESMM_BC.py `TD3_ESMMBCAgent.update`, rmtl-reference.md §3.5) over an ESMM actor (the
paper's RMTL-ESMM): sample 2048 of a buffer, batch z-score of states and next states, a' =
actor_target(s') + clipped noise, y_k = r_k + 0.9 (1 - done) min(Qbar_k, Q_k)(s', a'_k) with dropout on,
for each of the two critics MSE + backward + Adam, soft update (tau 0.2) every 2nd step. The authors
also compute an actor loss -mean(Q1(s, pi1(s)) + Q2(s, pi2(s))) for logging only; `critic-update`
leaves it out (it is not part of the update; rmtl does not compute it), `critic-update-authors` keeps
it and the no-op soft update of the never-trained actor, i.e. everything the authors' update() runs.
`--mode paper` (critic-update only) is the paper's reading instead, as rmtl's `RMTLSettings(mode:
.paper)` runs it (make_fixtures.py `write_rl_td("paper")`): one SharedCritic (shared embedding, action
layer and bottom, one tower per task), raw states, a' = actor(s') without noise,
y_k = r_k + 0.95 (1 - done) Qbar_k(s', a'_k) with the target in eval mode (no dropout), one Adam step on
mean_{b,k} (Q_k(s, a_k) - y_k)^2 with dropout on, soft update (tau 0.2) every 2nd step.
"""
import argparse
import json
import time

import torch

import models

FIELDS = [1000, 1000, 1000, 3, 1200, 50, 50]


def critic_update_step(batch, with_logging, mode="code"):
    """Returns a closure running one critic update in `mode` (see the module docstring)."""
    import copy
    import numpy as np
    gamma, tau, noise, noise_clip = (0.9 if mode == "code" else 0.95), 0.2, 0.4, 0.003
    n = 8 * batch                          # buffer rows (rmtl's critic-update bench uses 8 batches too)
    g = torch.Generator().manual_seed(0)
    u = torch.rand(n + 1, len(FIELDS), generator=g)
    ids = (torch.tensor(FIELDS, dtype=torch.float32) * u ** 3).floor()     # right-skewed ids
    states = torch.cat([ids, torch.zeros(n + 1, 1)], dim=1)               # 7 ids + the zero numeric
    buf_s, buf_ns = states[:n].clone(), states[1:].clone()
    buf_a = torch.rand(n, 2, generator=g)
    buf_r = -4.6 * torch.rand(n, 2, generator=g)
    buf_d = (torch.rand(n, generator=g) < 0.1).float()
    torch.manual_seed(2022)
    actor = models.make_model("esmm", FIELDS)
    actor.eval()
    actor_target = copy.deepcopy(actor)
    if mode == "paper":
        return paper_critic_update_step(batch, n, buf_s, buf_ns, buf_a, buf_r, buf_d, actor, tau, gamma)
    critic1 = models.CriticNeg(FIELDS, 1, 128, [512, 256], [128, 64], 0.2)
    critic2 = copy.deepcopy(critic1)
    critics, targets = [critic1, critic2], [copy.deepcopy(critic1), copy.deepcopy(critic2)]
    for c in critics + targets:
        c.train()
    opts = [torch.optim.Adam(c.parameters(), lr=1e-3) for c in critics]
    rng = np.random.default_rng(0)
    count = [0]

    def normalize(x):
        x = (x - x.mean(0)) / (x.std(0) + 1e-3)
        return x[:, :7].long(), x[:, 7:]

    def soft(target, online):
        for pt, po in zip(target.parameters(), online.parameters()):
            pt.data.copy_(tau * po.data + (1 - tau) * pt.data)

    def step():
        idx = torch.from_numpy(rng.choice(n, batch, replace=False))
        s_id, s_num = normalize(buf_s[idx])
        ns_id, ns_num = normalize(buf_ns[idx])
        a, r, d = buf_a[idx], buf_r[idx], buf_d[idx]
        with torch.no_grad():
            na = actor_target(ns_id, ns_num)
            for k in range(2):
                eps = (torch.randn(1) * noise).clamp(-noise_clip, noise_clip)
                na[k] = (na[k] + eps).unsqueeze(1)
            ys = []
            for k in range(2):
                q_next = torch.min(targets[k](ns_id, ns_num, na[k]), critics[k](ns_id, ns_num, na[k]))
                ys.append(r[:, k] + gamma * (1 - d) * q_next)
        for k in range(2):
            loss = torch.mean((critics[k](s_id, s_num, a[:, k:k + 1]) - ys[k]) ** 2)
            opts[k].zero_grad()
            loss.backward()
            opts[k].step()
        if with_logging:
            pi = actor(s_id, s_num)
            _ = -torch.mean(critics[0](s_id, s_num, pi[0].unsqueeze(1)) + critics[1](s_id, s_num, pi[1].unsqueeze(1)))
        if count[0] % 2 == 0:
            for k in range(2):
                soft(targets[k], critics[k])
            if with_logging:
                soft(actor_target, actor)
        count[0] += 1

    return step


def paper_critic_update_step(batch, n, buf_s, buf_ns, buf_a, buf_r, buf_d, actor, tau, gamma):
    """The paper-mode update over the same buffer: one SharedCritic and its target, raw states
    (states are 7 ids then the numeric column)."""
    import copy
    import numpy as np
    critic = models.SharedCritic(FIELDS, 1, 128, [512, 256], [128, 64], 2, 0.2)
    target = copy.deepcopy(critic)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    count = [0]

    def step():
        idx = torch.from_numpy(rng.choice(n, batch, replace=False))
        paper_td_step(critic, target, opt, actor, buf_s[idx], buf_ns[idx], buf_a[idx], buf_r[idx], buf_d[idx], gamma)
        if count[0] % 2 == 0:
            soft_update(target, critic, tau)
        count[0] += 1

    return step


def paper_td_step(critic, target, opt, actor, s, ns, a, r, d, gamma):
    """One paper-mode TD step on a sampled batch (states: 7 ids then the numeric column, raw):
    y = r + gamma (1 - done) Qbar(s', actor(s')) with the target and the actor in eval mode, then
    one Adam step of the critic (dropout on) on mean_{b,k} (Q_k(s, a_k) - y_k)^2. Returns the loss."""
    critic.train()
    target.eval()
    actor.eval()
    f = s.shape[1] - 1
    s_id, s_num = s[:, :f].long(), s[:, f:]
    ns_id, ns_num = ns[:, :f].long(), ns[:, f:]
    with torch.no_grad():
        na = torch.stack(actor(ns_id, ns_num), dim=1)
        y = r + gamma * (1 - d).unsqueeze(1) * target(ns_id, ns_num, na)
    loss = torch.mean((critic(s_id, s_num, a) - y) ** 2)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.detach()


def soft_update(target, online, tau):
    with torch.no_grad():
        for pt, po in zip(target.parameters(), online.parameters()):
            pt.copy_(tau * po + (1 - tau) * pt)


def bench(name, batch, steps, warmup, mode="code"):
    if name in ("critic-update", "critic-update-authors"):
        step = critic_update_step(batch, name == "critic-update-authors", mode)
        for _ in range(warmup):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return batch * steps / (time.perf_counter() - start)
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
    p.add_argument("--mode", choices=["code", "paper"], default="code", help="critic-update: the RL reading")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.mode == "paper" and a.model != "critic-update":
        p.error("--mode paper is for --model critic-update (the authors' logging actor loss exists only in code)")
    torch.set_num_threads(a.threads)
    names = models.MODEL_NAMES + ["critic"] if a.model == "all" else [a.model]
    for name in names:
        rate = bench(name, a.batch, a.steps, a.warmup, a.mode)
        if a.json:
            print(json.dumps({"model": name, "batch": a.batch, "threads": a.threads, "samples_per_s": round(rate, 1),
                              "mode": a.mode, "torch": torch.__version__}))
        else:
            print(f"{name:13s} batch {a.batch} threads {a.threads}: {rate:10.0f} samples/s  (torch {torch.__version__})")


if __name__ == "__main__":
    main()
