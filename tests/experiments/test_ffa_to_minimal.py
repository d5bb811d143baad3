"""The study summary's FFA-to-minimal ratio (issue 14): paired on images where both attacks succeeded,
measured in the minimal attack's own norm."""

import math

import pandas as pd
import pytest

from ffa_lab.attacks import REGISTRY
from ffa_lab.experiments.study_summary import ffa_to_minimal


def _samples() -> pd.DataFrame:
    rows = [
        # image, method, success, l2, linf, pass
        ("a", "ffa", True, 30.0, 6.0, 0.995),
        ("b", "ffa", True, 40.0, 8.0, 0.990),
        ("c", "ffa", False, math.nan, math.nan, math.nan),
        ("d", "ffa", True, 10.0, 2.0, 0.999),
        ("a", "ddn", True, 10.0, 5.0, 0.999),
        ("b", "ddn", True, 20.0, 7.0, 0.998),
        ("c", "ddn", True, 5.0, 1.0, 0.999),  # FFA failed here: not paired
        ("d", "ddn", False, math.nan, math.nan, math.nan),
        ("a", "fmn-linf", True, 50.0, 2.0, 0.99),
        ("b", "fmn-linf", True, 60.0, 4.0, 0.98),
        ("d", "fmn-linf", True, 0.0, 0.0, 1.0),  # zero-norm success: no ratio
    ]
    frame = pd.DataFrame(rows, columns=["image_id", "method", "success", "l2", "linf", "pass"])
    frame.insert(0, "attribute", "Smiling")
    return frame


def test_registry_records_the_norm_of_each_minimal_attack_only():
    norms = {name: spec.norm for name, spec in REGISTRY.items()}
    assert norms["ddn"] == 2.0 and norms["fmn"] == 2.0 and norms["fmn-linf"] == math.inf
    assert all(norms[n] is None for n in ("ffa", "fgs", "fgv", "deepfool", "iffa"))


def test_ratio_pairs_images_where_both_succeeded_in_the_minimal_norm():
    out = ffa_to_minimal(_samples(), ("ffa", "fgs", "ddn", "fmn-linf"))
    assert set(out) == {"ddn", "fmn-linf"}
    ddn = out["ddn"]
    assert ddn["norm"] == "l2" and ddn["pairs"] == 2  # images a and b
    assert ddn["ratio"]["median"] == pytest.approx((30 / 10 + 40 / 20) / 2)
    assert ddn["ffa_median"] == pytest.approx(35.0) and ddn["minimal_median"] == pytest.approx(15.0)
    assert ddn["minimal_pass_median"] == pytest.approx(0.9985)
    linf = out["fmn-linf"]
    assert linf["norm"] == "linf" and linf["pairs"] == 2  # d is a zero-norm success
    assert linf["ratio"]["median"] == pytest.approx((6 / 2 + 8 / 4) / 2)


def test_no_ratio_without_ffa_or_without_a_minimal_attack():
    assert ffa_to_minimal(_samples(), ("ddn", "fmn-linf")) == {}
    assert ffa_to_minimal(_samples(), ("ffa", "fgs")) == {}
