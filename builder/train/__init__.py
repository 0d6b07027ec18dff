"""Data, the training engine and metrics, with no Qt: driven by the CLI and by the app alike."""
