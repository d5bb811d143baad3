"""benchmarks/alignment.py prints the no-download path beside YuNet and Haar (issue 12)."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def load_benchmark():
    spec = importlib.util.spec_from_file_location("alignment_benchmark", REPO / "benchmarks" / "alignment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_has_one_column_per_path_no_download_first():
    bench = load_benchmark()
    assert bench.ALIGNERS == ("landmarks", "yunet", "haar")
    row = {"redetect": 2.5, "template": 3.0, "recovery": 2.0, "seconds": 0.05, "missed": []}
    rows = {name: dict(row, redetect=1.0 + i) for i, name in enumerate(bench.ALIGNERS)}
    faces = {name: dict.fromkeys(bench.PORTRAIT_EYES, 4.0) for name in bench.ALIGNERS}
    text = bench.table(rows, faces)
    header, *lines = text.splitlines()
    assert header.split()[-3:] == ["landmarks", "yunet", "haar"]
    redetect = next(line for line in lines if line.startswith("re-detected"))
    assert redetect.split()[-3:] == ["1.000", "2.000", "3.000"]
    assert sum("worst eye" in line for line in lines) == len(bench.PORTRAIT_EYES)
