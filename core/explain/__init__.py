"""Where an attribute network looks: signed input-gradient saliency, gradient × input and Grad-CAM.

Independent of the attacks: it needs only the bank (ffa_lab.models). ``saliency`` computes the maps,
``overlap`` compares a map with a perturbation δ, ``display`` holds the one diverging colour scale and
the normalisation every figure uses. Definitions and sign convention: docs/saliency.md.
"""
