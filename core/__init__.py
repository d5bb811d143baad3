"""ffa-lab ffa_lab: CelebA data, per-attribute networks, attacks, PASS, studies.

Nothing here imports Streamlit except :mod:`ffa_lab.ui`.
"""

__version__ = "0.1.0"
