"""The 40 CelebA attributes in the official file order, and groups of related ones."""

from __future__ import annotations

ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)

ATTRIBUTE_INDEX: dict[str, int] = {name: i for i, name in enumerate(ATTRIBUTES)}

# Related attributes (for reading side-effect matrices); a grouping of our own.
GROUPS: dict[str, tuple[str, ...]] = {
    "hair": (
        "Bald",
        "Bangs",
        "Black_Hair",
        "Blond_Hair",
        "Brown_Hair",
        "Gray_Hair",
        "Receding_Hairline",
        "Straight_Hair",
        "Wavy_Hair",
    ),
    "beard": ("5_o_Clock_Shadow", "Goatee", "Mustache", "No_Beard", "Sideburns"),
    "mouth": ("Big_Lips", "Mouth_Slightly_Open", "Smiling", "Wearing_Lipstick"),
    "eyes": ("Arched_Eyebrows", "Bags_Under_Eyes", "Bushy_Eyebrows", "Eyeglasses", "Narrow_Eyes"),
    "face": (
        "Attractive",
        "Big_Nose",
        "Chubby",
        "Double_Chin",
        "High_Cheekbones",
        "Oval_Face",
        "Pale_Skin",
        "Pointy_Nose",
        "Rosy_Cheeks",
        "Young",
        "Male",
        "Heavy_Makeup",
    ),
    "accessories": ("Wearing_Earrings", "Wearing_Hat", "Wearing_Necklace", "Wearing_Necktie"),
    "image": ("Blurry",),
}


def attribute_index(name: str) -> int:
    """Index of an attribute name (case-insensitive); ValueError naming the choices otherwise."""
    if name in ATTRIBUTE_INDEX:
        return ATTRIBUTE_INDEX[name]
    lowered = {a.lower(): i for a, i in ATTRIBUTE_INDEX.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    raise ValueError(f"unknown attribute {name!r}; expected one of: {', '.join(ATTRIBUTES)}")


def resolve_attributes(spec: str | list[str] | None) -> list[str]:
    """'all' / None -> all 40; 'Smiling,Male' or a list -> canonical names in the given order."""
    if spec is None or spec == "all" or spec == ["all"]:
        return list(ATTRIBUTES)
    items = spec.split(",") if isinstance(spec, str) else [s for part in spec for s in part.split(",")]
    return [ATTRIBUTES[attribute_index(s.strip())] for s in items if s.strip()]
