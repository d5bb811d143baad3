"""Store a shared-trunk checkpoint's floating-point tensors as float16 (halves the file; loading casts back
to float32): ``python scripts/halve_shared_weights.py assets/models/resnet/model.safetensors``.

The metadata is kept as it is; the model's scores change by float16 rounding, so re-run ``ffa-lab
evaluate`` (and any study) on the folder afterwards, as docs/models.md records for the shipped resnet.
"""

import json
import sys
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save as save_safetensors

from ffa_lab.files import atomic_write_bytes
from ffa_lab.models.checkpoint import METADATA_KEY


def main(path: str) -> int:
    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 - safe_open has no iteration
    halved = {k: t.half() if t.is_floating_point() else t for k, t in tensors.items()}
    json.loads(metadata[METADATA_KEY])  # still a valid document
    atomic_write_bytes(Path(path), save_safetensors(halved, metadata=metadata))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
