"""Checks rmtl's exports with independent tools (run by scripts/test-export in the test venv).

For every model in each DIR (written by scripts/export-check.rmtl and scripts/export-check-numeric.rmtl):
  * AUC and Logloss recomputed with scikit-learn, and s-Logloss with numpy, from `export predictions`
    equal rmtl's `eval` (results.json) to 1e-6 for every task;
  * the ONNX model passes onnx.checker (full check, opset >= 17), and onnxruntime, fed the raw values
    of the CSV encoded with NAME.encoders.json, reproduces rmtl's predictions to 1e-5 for every task.
Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.metrics import log_loss, roc_auc_score

MODELS = ["single", "sharedbottom", "esmm", "omoe", "mmoe", "ple", "aitm"]
METRIC_TOL = 1e-6
PREDICTION_TOL = 1e-5


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


def bce(p, y):
    """PyTorch's BCELoss per row: each log clamped at -100."""
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))


def session_logloss(p, y, sessions):
    losses = bce(p, y)
    _, inverse = np.unique(sessions, return_inverse=True)
    sums = np.bincount(inverse, weights=losses)
    counts = np.bincount(inverse)
    return float(np.mean(sums / counts))


def main(folders):
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print(("ok    " if ok else "FAIL  ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    for folder, model in ((Path(f), m) for f in folders for m in MODELS):
        results = {r["name"]: r for r in json.loads((folder / "results.json").read_text())["results"]}
        table = read_csv(folder / f"{model}.csv")
        evaluated = results[f"eval_{model}"]
        for task in evaluated["tasks"]:
            y = np.array(table[f"{task}_label"], dtype=np.float64)
            p = np.array(table[f"{task}_pred"], dtype=np.float32).astype(np.float64)
            want = evaluated["metrics"][task]
            got = {
                "auc": roc_auc_score(y, p),
                "logloss": log_loss(y, p, labels=[0, 1]),
                "slogloss": session_logloss(p, y, np.array(table["session"], dtype=np.int64)),
            }
            for metric, value in got.items():
                diff = abs(value - want[metric])
                check(diff <= METRIC_TOL, f"{folder.name}/{model} {task} {metric}: recomputed {value:.9f}, eval {want[metric]:.9f} (|diff| {diff:.1e})")

        path = folder / f"{model}.onnx"
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto, full_check=True)
        opset = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
        check(opset >= 17, f"{folder.name}/{model}.onnx passes onnx.checker (opset {opset})")

        vocab = json.loads((folder / f"{model}.encoders.json").read_text())
        ids = np.stack([
            np.array([field["ids"].get(v, field["unseen_id"]) for v in table[field["name"]]], dtype=np.int64)
            for field in vocab["fields"]
        ], axis=1)
        rows = ids.shape[0]
        numeric = np.stack([
            np.array(table[name], dtype=np.float32) if name in table else np.zeros(rows, dtype=np.float32)
            for name in vocab["numeric"]
        ], axis=1)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs = session.run(vocab["tasks"], {"categorical_ids": ids, "numeric": numeric})
        for task, out in zip(vocab["tasks"], outputs):
            want = np.array(table[f"{task}_pred"], dtype=np.float32)
            diff = float(np.max(np.abs(out.reshape(-1) - want)))
            check(diff <= PREDICTION_TOL, f"{folder.name}/{model} {task}: onnxruntime vs rmtl max |diff| {diff:.2e} over {rows} rows")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["data/export-check"]))
