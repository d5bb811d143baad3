"""The Streamlit app's support code: the only package that imports streamlit.

Streamlit-free modules (usable by benchmarks and tests): settings, faces_data, flips, plots, gallery,
bankinfo. Streamlit modules: cache (cached loaders), state (session state and query string), errors
(messages instead of tracebacks), sidebar (shared sidebar and page frame), picker (face sources), widgets.
"""
