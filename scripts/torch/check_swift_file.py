"""By-hand interop check: a file written by rmtl's Swift writer loads in the reference Python loader.

    RMTL_INTEROP_OUT=/tmp/rmtl.safetensors swift test -c release --disable-testable-imports \
        --disable-xctest --filter writeFileForPython
    .venv-torch/bin/python scripts/torch/check_swift_file.py /tmp/rmtl.safetensors

Expected values mirror SafetensorsRoundTripTests.sample() (KEEP IN SYNC).
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
t = load_file(path)
with safe_open(path, "np") as f:
    metadata = f.metadata()

i64 = np.iinfo(np.int64)
i32 = np.iinfo(np.int32)
expected = {
    "embedding.embedding.weight": np.array([[1, -2], [0.5, np.inf], [-0.0, np.float32(1.4e-45)]], dtype=np.float32),
    "bias": np.array([0x7FC01234], dtype=np.uint32).view(np.float32),
    "scalar": np.array(3.25, dtype=np.float32),
    "empty": np.zeros((0,), dtype=np.float32),
    "empty.2d": np.zeros((2, 0, 3), dtype=np.int64),
    "replay.ids": np.array([[i64.min, -1], [0, i64.max]], dtype=np.int64),
    "replay.i32": np.array([i32.min, 7, i32.max], dtype=np.int32),
    "mask": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
    "naïve \"name\"\n": np.array([1], dtype=np.int32),
}
assert sorted(t) == sorted(expected), (sorted(t), sorted(expected))
for name, want in expected.items():
    got = t[name]
    assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape)
    assert got.tobytes() == want.tobytes(), (name, got, want)  # bit for bit, NaN payload and -0.0 included
assert metadata == {"format": "rmtl-checkpoint", "rng": "123456789 987654321", "quote\"\\": "tab\tünï\x01"}, metadata
print(f"ok: {path}: {len(t)} tensors and {len(metadata)} metadata entries load bit for bit in safetensors.numpy")
