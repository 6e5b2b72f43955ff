"""One seed of the paper's RMTL pipeline in PyTorch, stage by stage, for `scripts/bench-pipeline`
(issue 15): the counterpart of `rmtl bench --pipeline` at the same settings, on the same data.

    .venv-torch/bin/python scripts/torch/pipeline.py SPLITS.safetensors --threads 2 [--json]

SPLITS is what `rmtl bench --pipeline --splits-out SPLITS` wrote: the encoded train (already cut
to the benchmark's rows), validation and test parts of the full-size synthetic RetailRocket, and in
its metadata the schedule (epochs per stage, batch, warm-up episodes, buffer) rmtl ran. The work is
the authors' code in the paper's reading (rmtl-reference.md §2.4, §3, §3.8; what rmtl's
`critic mode=paper` runs), with the paper's sizes (stdlib/paper.rmtl):

- pretrain: ESMM (embed 128, bottom 512-256, tower 128-64, dropout 0.2), Adam lr 1e-3 wd 1e-6,
  batch 2048 in file order, mean-over-tasks BCE; after every epoch the validation AUC in eval mode,
  the best weights kept (the authors' EarlyStopper + checkpoint; here a copy in memory, as rmtl);
  then the test metrics (`eval test as esmm`);
- critic stage: the frozen actor's validation-free predictions on the training rows, warm-up of the
  session MDP (paper: the actor's action + N(0, 0.1) clipped to [0, 1], reward -BCE, episodes drawn
  uniformly with replacement, a circular buffer), one SharedCritic with the actor's embedding and
  its target; epochs of buffer/2048 paper-mode TD steps (`bench.paper_td_step`), soft update
  (tau 0.2) every 2nd step;
- RMTL fine-tune: a fresh Adam, loss mean_k mean_b((1 - 0.7 Q_k(s, p_k)) BCE(p_k, y_k)) with Q from
  the critic in eval mode (the paper: no dropout at use), detached; validation after every epoch;
- eval: the test metrics of the fine-tuned actor (AUC, logloss, s-logloss per task).

The warm-up is vectorised with NumPy (the authors step a gym env per transition in Python, which
would be far slower): this side is the fastest faithful PyTorch we could write, not the authors'
wall-clock. AUC is computed here with NumPy (average ranks for ties, as sklearn's roc_auc_score).
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
from safetensors.numpy import load_file

import models
from bench import paper_td_step, soft_update


def load(path):
    from safetensors import safe_open
    with safe_open(path, "np") as f:
        meta = f.metadata()
    t = load_file(path)
    parts = {}
    for name in ("train", "validation", "test"):
        parts[name] = {
            "ids": torch.from_numpy(t[f"{name}.categorical"].astype(np.int64)),
            "numeric": torch.from_numpy(t[f"{name}.numeric"]),
            "labels": torch.from_numpy(t[f"{name}.labels"]),
            "sessions": t[f"{name}.sessions"],
            "timestamps": t[f"{name}.timestamps"],
        }
    return parts, json.loads(meta["cardinalities"]), json.loads(meta["schedule"])


def predict(model, part, batch):
    """Probabilities (rows, tasks) in eval mode, batch by batch (the authors' test loader)."""
    model.eval()
    out = []
    with torch.no_grad():
        for lo in range(0, len(part["labels"]), batch):
            p = model(part["ids"][lo:lo + batch], part["numeric"][lo:lo + batch])
            out.append(torch.stack(p, dim=1))
    return torch.cat(out).numpy()


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0          # 1-based average rank of each tie group
    ranks[order] = np.repeat(average, counts)
    pos = labels > 0.5
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def metrics(model, part, batch):
    """Per task: AUC, logloss, s-logloss (mean over sessions of the within-session mean)."""
    p = predict(model, part, batch)
    y = part["labels"].numpy()
    _, session = np.unique(part["sessions"], return_inverse=True)
    rows_per_session = np.bincount(session)
    result = []
    for k in range(p.shape[1]):
        loss = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p[:, k]), torch.from_numpy(y[:, k]),
                                                        reduction="none").numpy().astype(np.float64)
        s_loss = np.bincount(session, weights=loss) / rows_per_session
        result.append({"auc": auc(p[:, k], y[:, k]), "logloss": float(loss.mean()), "s_logloss": float(s_loss.mean())})
    return result


def mean_auc(ms):
    return sum(0.5 if np.isnan(m["auc"]) else m["auc"] for m in ms) / len(ms)


def train(model, data, validation, epochs, batch, loss_of):
    """The authors' train loop: fresh Adam, file order, validation after every epoch, the best
    epoch's weights kept (at least one trained epoch)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-6)
    best, best_state = -1.0, None
    rows = len(data["labels"])
    for _ in range(epochs):
        model.train()
        for lo in range(0, rows, batch):
            ids, num, y = data["ids"][lo:lo + batch], data["numeric"][lo:lo + batch], data["labels"][lo:lo + batch]
            loss = loss_of(model(ids, num), ids, num, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        m = mean_auc(metrics(model, validation, batch))
        if m > best:
            best, best_state = m, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)


def episodes_of(part):
    """Row indices of each session, in time order (ties in row order), sessions in order of first row."""
    sessions, timestamps = part["sessions"], part["timestamps"]
    _, first, session = np.unique(sessions, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    order = np.lexsort((np.arange(len(sessions)), timestamps, rank[session]))
    lengths = np.bincount(rank[session])
    return order, np.concatenate([[0], np.cumsum(lengths)])


def warm_up(actor, train_part, schedule, batch, rng):
    """Fills the circular buffer with `episodes` episodes of the session MDP (paper: actor policy)."""
    p = predict(actor, train_part, batch)
    order, starts = episodes_of(train_part)
    picked = rng.integers(0, len(starts) - 1, schedule["warmup_episodes"])
    lengths = starts[picked + 1] - starts[picked]
    total = int(lengths.sum())
    first = np.repeat(starts[picked], lengths)
    step = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = order[first + step]
    done = step == np.repeat(lengths - 1, lengths)
    nxt = np.where(done, rows, order[np.minimum(first + step + 1, len(order) - 1)])
    keep = slice(max(0, total - schedule["buffer"]), total)      # the circular buffer keeps the newest
    rows, nxt, done = rows[keep], nxt[keep], done[keep]
    y = train_part["labels"].numpy()[rows]
    a = np.clip(p[rows] + 0.1 * rng.standard_normal(p[rows].shape).astype(np.float32), 0, 1)
    r = y * np.log(np.clip(a, 1e-4, 1)) + (1 - y) * np.log(np.clip(1 - a, 1e-4, 1))
    states = torch.cat([train_part["ids"].float(), train_part["numeric"]], dim=1)
    return (states[torch.from_numpy(rows)], states[torch.from_numpy(nxt)], torch.from_numpy(a.astype(np.float32)),
            torch.from_numpy(r.astype(np.float32)), torch.from_numpy(done.astype(np.float32)))


def critic_stage(actor, train_part, cardinalities, schedule, batch, rng):
    buf_s, buf_ns, buf_a, buf_r, buf_d = warm_up(actor, train_part, schedule, batch, rng)
    critic = models.SharedCritic(cardinalities, 1, 128, [512, 256], [128, 64], 2, 0.2)
    critic.embedding.embedding.weight.data.copy_(actor.embedding.embedding.weight.data)
    target = copy.deepcopy(critic)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    n = len(buf_d)
    count = 0
    for _ in range(schedule["critic_epochs"]):
        for _ in range(n // batch):
            idx = torch.from_numpy(rng.choice(n, batch, replace=False))
            paper_td_step(critic, target, opt, actor, buf_s[idx], buf_ns[idx], buf_a[idx], buf_r[idx], buf_d[idx], 0.95)
            if count % 2 == 0:
                soft_update(target, critic, 0.2)
            count += 1
    return critic


def rmtl_loss(critic, lam):
    bce = torch.nn.functional.binary_cross_entropy

    def loss_of(outputs, ids, num, y):
        p = torch.stack(outputs, dim=1)
        with torch.no_grad():
            critic.eval()
            w = 1 - lam * critic(ids, num, p.detach())
        return (w * bce(p, y, reduction="none")).mean()
    return loss_of


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("splits")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    parts, cardinalities, schedule = load(a.splits)
    batch = schedule["batch"]
    torch.manual_seed(2022)
    rng = np.random.default_rng(2022)
    seconds, results = {}, {}

    def timed(stage, body):
        start = time.perf_counter()
        out = body()
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
        return out

    actor = models.make_model("esmm", cardinalities)
    mtl = lambda outputs, ids, num, y: models.mtl_loss(outputs, y)  # noqa: E731
    timed("pretrain", lambda: train(actor, parts["train"], parts["validation"], schedule["pretrain_epochs"], batch, mtl))
    results["pretrained"] = timed("eval", lambda: metrics(actor, parts["test"], batch))
    critic = timed("critic", lambda: critic_stage(actor, parts["train"], cardinalities, schedule, batch, rng))
    timed("finetune", lambda: train(actor, parts["train"], parts["validation"], schedule["finetune_epochs"], batch,
                                    rmtl_loss(critic, 0.7)))
    results["rmtl"] = timed("eval", lambda: metrics(actor, parts["test"], batch))
    out = {"side": "torch", "threads": a.threads, "torch": torch.__version__, "seconds": seconds,
           "total_seconds": sum(seconds.values()), "test": results}
    if a.json:
        print(json.dumps(out))
    else:
        for stage, s in seconds.items():
            print(f"{stage:9s} {s:8.1f} s")
        print(f"total     {out['total_seconds']:8.1f} s; test AUC pretrained {[round(m['auc'], 4) for m in results['pretrained']]}, "
              f"rmtl {[round(m['auc'], 4) for m in results['rmtl']]}")


if __name__ == "__main__":
    main()
