"""The Textual bedside app. The only package that may import Textual."""
