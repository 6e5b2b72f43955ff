"""Writes Tests/RMTLTests/Fixtures/interop_numpy.safetensors with the reference writer.

Run by hand (never in CI):  .venv-torch/bin/python scripts/torch/make_interop_fixture.py
The Swift test SafetensorsInteropTests checks that rmtl reads every value bit for bit and that
rmtl's own writer reproduces this file byte for byte (one metadata key, so the reference writer's
hash-map order cannot vary).
"""
import pathlib

import numpy as np
import safetensors
from safetensors.numpy import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "Tests/RMTLTests/Fixtures/interop_numpy.safetensors"

tensors = {
    "f32": np.array([[0.0, -0.0, 1.5], [np.finfo(np.float32).max, 1e-45, np.inf]], dtype=np.float32),
    "f32.nan": np.array([np.nan, -np.inf], dtype=np.float32),
    "f64": np.array([1.0 / 3.0, -2.5], dtype=np.float64),
    "i64": np.array([-(2**63), -1, 0, 2**63 - 1], dtype=np.int64),
    "i32": np.array([-(2**31), 7, 2**31 - 1], dtype=np.int32),
    "u8": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
    "empty": np.zeros((0,), dtype=np.float32),
    "empty.2d": np.zeros((2, 0), dtype=np.int64),
    "scalar": np.array(2.5, dtype=np.float32),
    "weight.ünïcode": np.arange(6, dtype=np.float32).reshape(1, 2, 3),
}
metadata = {"note": f"interop fixture \"quoted\"\n written by safetensors {safetensors.__version__}, numpy {np.__version__}; do not edit"}
save_file(tensors, str(out), metadata=metadata)
print(out, out.stat().st_size, "bytes")
print(out.read_bytes()[8:8 + int.from_bytes(out.read_bytes()[:8], "little")].decode())
