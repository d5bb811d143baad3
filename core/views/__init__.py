"""Streamlit-free logic behind the app's pages: settings, limits, face data, flip views, plots, gallery."""
