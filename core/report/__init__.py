"""Plotly figures (report and app) and the HTML / markdown report."""
