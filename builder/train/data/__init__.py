"""Data sources: each builds a real torch Dataset from a project's `data.source` object."""
