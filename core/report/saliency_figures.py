"""The dashboard's "where each network looks vs where FFA hits" figure (a study + its mean_saliency.npz)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ffa_lab.experiments.results import StudyResults
from ffa_lab.experiments.saliency_maps import MeanSaliency
from ffa_lab.explain.display import EVIDENCE_COLORSCALE, EVIDENCE_TICKS, signed_unit

ROWS = (
    ("mean |δ| of FFA (grey levels)", "Inferno"),
    ("mean |evidence| (÷ each map's peak)", "Viridis"),
    ("mean signed evidence", EVIDENCE_COLORSCALE),
    ("mean Grad-CAM", EVIDENCE_COLORSCALE),
)


def _row_maps(study: StudyResults, maps: MeanSaliency, name: str) -> list[np.ndarray]:
    k = maps.index(name)
    peak = float(maps.mean_abs_evidence[k].max())
    return [
        study.mean_perturbation[study.attributes.index(name)],
        maps.mean_abs_evidence[k] / peak if peak > 0 else maps.mean_abs_evidence[k],
        signed_unit(maps.mean_evidence[k]),
        signed_unit(maps.mean_grad_cam[k]),
    ]


def mean_saliency_heatmaps(study: StudyResults, maps: MeanSaliency, attributes: list[str]) -> go.Figure:
    """One column per attribute (present in both files), rows: mean |δ|, mean |evidence|, signed evidence, Grad-CAM."""
    chosen = [a for a in attributes if a in maps.attributes and a in study.attributes]
    columns = max(len(chosen), 1)
    figure = make_subplots(
        rows=len(ROWS),
        cols=columns,
        column_titles=chosen or None,
        row_titles=[title for title, _ in ROWS],
        horizontal_spacing=0.01,
        vertical_spacing=0.03,
    )
    top = float(np.nanmax(study.mean_perturbation)) if study.mean_perturbation.size else 1.0
    ranges = [(0.0, top or 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 1.0)]
    for col, name in enumerate(chosen, start=1):
        for row, values in enumerate(_row_maps(study, maps, name), start=1):
            figure.add_trace(
                go.Heatmap(
                    z=values,
                    coloraxis=f"coloraxis{row if row > 1 else ''}",
                    hovertemplate=f"{name}<br>{ROWS[row - 1][0]}: %{{z:.3f}}<extra></extra>",
                ),
                row=row,
                col=col,
            )
    layout = {}
    for row, ((_, scale), (low, high)) in enumerate(zip(ROWS, ranges, strict=True), start=1):
        bar = {"len": 1 / len(ROWS) - 0.03, "y": 1 - (row - 0.5) / len(ROWS), "thickness": 12, "title": ""}
        if low < 0:
            bar.update(EVIDENCE_TICKS)
        layout[f"coloraxis{row if row > 1 else ''}"] = {"colorscale": scale, "cmin": low, "cmax": high, "colorbar": bar}
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    figure.update_annotations(font_size=9)
    return figure.update_layout(
        **layout, height=170 * len(ROWS) + 90, title="Where each network looks (evidence) and where FFA hits (|δ|)"
    )
