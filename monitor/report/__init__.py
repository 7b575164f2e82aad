"""The post-session Plotly HTML report. No Textual."""
