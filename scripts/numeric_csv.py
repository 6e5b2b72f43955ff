"""Writes the CSV of scripts/export-check-numeric.rmtl: three numeric feature columns, so the exports and
the PyTorch name/shape mapping are checked with more than one numeric input (the RetailRocket check has
one all-zero column). Deterministic: the same file on every run.

    python scripts/numeric_csv.py data/export-check-numeric/clicks.csv
"""
import sys
from pathlib import Path

import numpy as np

ROWS = 3000


def main(path):
    rng = np.random.default_rng(16)
    user = rng.integers(0, 60, ROWS)
    item = rng.integers(0, 40, ROWS)
    price = np.round(rng.gamma(2.0, 10.0, ROWS), 2)
    age = rng.integers(18, 70, ROWS)
    score = np.round(rng.normal(0.0, 1.0, ROWS), 3)
    # click and buy depend on every feature, so every input matters to a trained model
    logit = -1.0 + 0.8 * (item % 4 == 0) + 0.5 * (user % 3 == 0) - 0.03 * price + 0.6 * score + 0.01 * (age - 40)
    click = (rng.random(ROWS) < 1 / (1 + np.exp(-logit))).astype(int)
    buy = click * (rng.random(ROWS) < 0.3 + 0.1 * (score > 0)).astype(int)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("user,item,price,age,score,time,click,buy\n")
        for r in range(ROWS):
            f.write(f"u{user[r]},i{item[r]},{price[r]},{age[r]},{score[r]},{1_700_000_000_000 + 60_000 * r},{click[r]},{buy[r]}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/export-check-numeric/clicks.csv")
