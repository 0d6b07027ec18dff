import os
import sys
from pathlib import Path

# Qt must never look for a display, in CI or here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings  # noqa: E402

# In CI the property tests draw the same examples every run: a failure there is reproducible,
# never a flake. Locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def trained_example(tmp_path_factory):
    """The example project trained for a few epochs with `builder train` (a few seconds): (project, weights),
    the weights as safetensors, which keep the class names. Shared by the tests that look inside a trained net."""
    from trained import train_example

    return train_example(tmp_path_factory.mktemp("trained"))
