"""Checks, without PyTorch, that every actor rmtl saved loads into scripts/torch/models.py by name and shape
(run by scripts/test-export in the test venv; the numeric check with torch is scripts/torch/roundtrip.py).

    check_torch_names.py DIR [DIR ...]     # DIR holds MODEL.safetensors for the seven models

models.py runs unchanged against a stand-in `torch` that only records what its constructors create
(Linear, Embedding, ModuleList, Sequential and the parameter-free layers), so the state_dict names and
shapes compared are the ones `load_state_dict(strict=True)` would compare. The checkpoint's names and
shapes come from its safetensors header (8-byte little-endian length, then JSON). Prints one line per
model and exits non-zero when any name is missing, extra, or has another shape.
"""
import json
import struct
import sys
import types
from pathlib import Path


class _Parameter:
    def __init__(self, *shape):
        self.shape = tuple(shape)
        self.data = self


class _Module:
    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_children", {})

    def __setattr__(self, name, value):
        children = self.__dict__.setdefault("_children", {})
        if isinstance(value, (_Module, _Parameter)):
            children[name] = value
        else:
            children.pop(name, None)
        object.__setattr__(self, name, value)

    def shapes(self, prefix=""):
        """The state_dict as {name: shape}, in registration order."""
        result = {}
        for name, child in self._children.items():
            if isinstance(child, _Parameter):
                result[prefix + name] = child.shape
            else:
                result.update(child.shapes(prefix + name + "."))
        return result


class _Linear(_Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = _Parameter(outputs, inputs)
        self.bias = _Parameter(outputs)


class _Embedding(_Module):
    def __init__(self, rows, width, padding_idx=None):
        super().__init__()
        self.weight = _Parameter(rows, width)


class _Indexed(_Module):
    """ModuleList and Sequential: children named 0, 1, ..."""

    def __init__(self, *modules):
        super().__init__()
        items = modules[0] if len(modules) == 1 and isinstance(modules[0], (list, tuple)) else modules
        for module in items:
            self.append(module)

    def append(self, module):
        setattr(self, str(len(self._children)), module)

    def __getitem__(self, i):
        return self._children[str(i)]

    def __len__(self):
        return len(self._children)


def _stand_in_torch():
    torch = types.ModuleType("torch")
    nn = types.ModuleType("torch.nn")
    nn.Module, nn.Linear, nn.Embedding = _Module, _Linear, _Embedding
    nn.ModuleList = nn.Sequential = _Indexed
    nn.ReLU = nn.Dropout = nn.Softmax = _Module
    nn.init = types.SimpleNamespace(xavier_uniform_=lambda tensor: tensor)
    torch.nn = nn
    return torch


def checkpoint_shapes(path):
    """{name: shape} of the `actor.*` tensors (prefix removed) and the model config of an rmtl checkpoint."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    config = json.loads(header["__metadata__"]["config"])["model"]
    shapes = {k[len("actor."):]: tuple(v["shape"]) for k, v in header.items() if k.startswith("actor.")}
    return shapes, config


def main(folders):
    sys.modules["torch"] = _stand_in_torch()
    sys.path.insert(0, str(Path(__file__).resolve().parent / "torch"))
    import models

    failed = 0
    for folder in map(Path, folders):
        for name in models.MODEL_NAMES:
            have, c = checkpoint_shapes(folder / f"{name}.safetensors")
            want = models.make_model(
                name, c["cardinalities"], numerical_num=c["numericCount"], embed_dim=c["embedDim"], bottom=c["bottom"],
                tower=c["tower"], task_num=c["taskCount"], expert_num=c["experts"], dropout=c["dropout"]).shapes()
            problems = [f"missing {k}" for k in want.keys() - have.keys()]
            problems += [f"unexpected {k}" for k in have.keys() - want.keys()]
            problems += [f"{k}: rmtl {have[k]}, models.py {want[k]}" for k in want.keys() & have.keys() if have[k] != want[k]]
            what = f"{folder.name}/{name}: {len(have)} tensors, {c['numericCount']} numeric column(s)"
            print(("ok    " if not problems else "FAIL  ") + what + "".join(f"\n        {p}" for p in sorted(problems)))
            failed += bool(problems)
    print(f"{failed} model(s) with name or shape mismatches")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["data/export-check"]))
