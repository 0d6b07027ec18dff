"""Training from the window: settings, the worker thread, live plots, results and run history."""
