"""ffa-lab core: CelebA data, per-attribute networks, attacks, PASS, studies.

Nothing here imports Streamlit except :mod:`core.ui`.
"""

__version__ = "0.1.0"
