"""PyTorch round trip (by hand, torch venv): rmtl's saved actors load by name into the authors'-structure
models of models.py and reproduce rmtl's test predictions.

    rmtl run scripts/export-check.rmtl                       # trains the 7 models, writes DIR/*
    python scripts/numeric_csv.py data/export-check-numeric/clicks.csv && rmtl run scripts/export-check-numeric.rmtl
    .venv-torch/bin/python scripts/torch/roundtrip.py data/export-check data/export-check-numeric

For each model: DIR/MODEL.safetensors (written by `save`) → tensors `actor.*` → load_state_dict(strict=True)
into models.make_model(...) built from the checkpoint's config; DIR/MODEL.csv (`export predictions`) gives
the raw test rows, encoded with DIR/MODEL.encoders.json (`export onnx`), and rmtl's predictions.
Prints the max |torch − rmtl| per model and task; exits non-zero above 1e-5.
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open

import models

TOLERANCE = 1e-5


def main(folders):
    worst = 0.0
    for folder, name in ((Path(f), n) for f in folders for n in models.MODEL_NAMES):
        with safe_open(str(folder / f"{name}.safetensors"), "pt") as f:
            config = json.loads(f.metadata()["config"])["model"]
            state = {k[len("actor."):]: f.get_tensor(k) for k in f.keys() if k.startswith("actor.")}
        model = models.make_model(
            name, config["cardinalities"], numerical_num=config["numericCount"], embed_dim=config["embedDim"],
            bottom=config["bottom"], tower=config["tower"], task_num=config["taskCount"],
            expert_num=config["experts"], dropout=config["dropout"])
        model.load_state_dict(state, strict=True)   # every name and shape must match
        model.eval()                                # dropout off

        with open(folder / f"{name}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        vocab = json.loads((folder / f"{name}.encoders.json").read_text())
        ids = torch.tensor([[fld["ids"].get(r[fld["name"]], fld["unseen_id"]) for fld in vocab["fields"]] for r in rows])
        numeric = torch.tensor([[float(r.get(n, 0.0)) for n in vocab["numeric"]] for r in rows], dtype=torch.float32)
        with torch.no_grad():
            outputs = model(ids, numeric)
        for task, out in zip(vocab["tasks"], outputs):
            want = np.array([float(r[f"{task}_pred"]) for r in rows], dtype=np.float32)
            diff = float(np.max(np.abs(out.numpy().reshape(-1) - want)))
            worst = max(worst, diff)
            print(f"{folder.name:20s} {name:13s} {task:6s} {len(rows)} rows, {len(vocab['numeric'])} numeric  "
                  f"max |torch - rmtl| = {diff:.2e}")
    print(f"worst {worst:.2e} ({'ok' if worst <= TOLERANCE else 'FAIL'}: tolerance {TOLERANCE:g})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["data/export-check"]))
