"""The accuracy-vs-published figure says which anchor numbers are only remembered (models/anchors.py)."""

from ffa_lab.models.anchors import ANCHORS, PUBLISHED_MEANS
from ffa_lab.report.figures import accuracy_vs_anchors


def test_moon_per_attribute_values_are_marked_as_remembered():
    figure = accuracy_vs_anchors({"Smiling": 90.0, "Male": 95.0})
    names = [trace.name for trace in figure.data]
    moon = [n for n in names if n.startswith("MOON")]
    assert moon == [f"MOON (per attribute as remembered; published mean {PUBLISHED_MEANS['MOON']})"]
    assert "LNets+ANet" in names and "this bank" in names
    assert list(figure.data[names.index(moon[0])].y) == [ANCHORS["Male"][1], ANCHORS["Smiling"][1]]  # file order
