"""Published per-attribute CelebA test accuracies (%) to compare a bank against (docs/models.md).

LNets+ANet: Liu et al., "Deep Learning Face Attributes in the Wild", ICCV 2015 (mean 87.3).
MOON: Rudd et al., "MOON: A Mixed Objective Optimization Network", ECCV 2016 (mean 90.94); the
per-attribute values are the published table *as remembered* (not re-checked against the paper),
consistent with its published mean; the figures label them so (ffa_lab.report.figures.accuracy_vs_anchors).
"""

from __future__ import annotations

ANCHOR_SOURCES: dict[str, str] = {
    "LNets+ANet": "Liu et al., ICCV 2015",
    "MOON": "Rudd et al., ECCV 2016",
}

# attribute -> (LNets+ANet, MOON)
ANCHORS: dict[str, tuple[float, float]] = {
    "5_o_Clock_Shadow": (91, 94.03),
    "Arched_Eyebrows": (79, 82.26),
    "Attractive": (81, 81.67),
    "Bags_Under_Eyes": (79, 84.92),
    "Bald": (98, 98.77),
    "Bangs": (95, 95.80),
    "Big_Lips": (68, 71.48),
    "Big_Nose": (78, 84.00),
    "Black_Hair": (88, 89.40),
    "Blond_Hair": (95, 95.86),
    "Blurry": (84, 95.67),
    "Brown_Hair": (80, 89.38),
    "Bushy_Eyebrows": (90, 92.62),
    "Chubby": (91, 95.44),
    "Double_Chin": (92, 96.32),
    "Eyeglasses": (99, 99.47),
    "Goatee": (95, 97.04),
    "Gray_Hair": (97, 98.10),
    "Heavy_Makeup": (90, 90.99),
    "High_Cheekbones": (87, 87.01),
    "Male": (98, 98.10),
    "Mouth_Slightly_Open": (92, 93.54),
    "Mustache": (95, 96.82),
    "Narrow_Eyes": (81, 86.52),
    "No_Beard": (95, 95.58),
    "Oval_Face": (66, 75.73),
    "Pale_Skin": (91, 97.00),
    "Pointy_Nose": (72, 76.46),
    "Receding_Hairline": (89, 93.56),
    "Rosy_Cheeks": (90, 94.82),
    "Sideburns": (96, 97.59),
    "Smiling": (92, 92.60),
    "Straight_Hair": (73, 82.26),
    "Wavy_Hair": (80, 82.47),
    "Wearing_Earrings": (82, 89.60),
    "Wearing_Hat": (99, 98.95),
    "Wearing_Lipstick": (93, 93.93),
    "Wearing_Necklace": (71, 87.04),
    "Wearing_Necktie": (93, 96.63),
    "Young": (87, 88.08),
}

PUBLISHED_MEANS: dict[str, float] = {"LNets+ANet": 87.3, "MOON": 90.94}
MOON_LABEL = f"MOON (per attribute as remembered; published mean {PUBLISHED_MEANS['MOON']})"
