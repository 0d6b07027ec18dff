"""The graph document, its structural checks and project files. Imports neither Qt nor torch."""
