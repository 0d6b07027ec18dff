import os
import sys
from pathlib import Path

# Qt must never look for a display, in CI or here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests read English unless they choose otherwise, whatever this machine's locale (subprocesses too).
os.environ["LANGUAGE"] = "en"
sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings  # noqa: E402

# In CI the property tests draw the same examples every run: a failure there is reproducible,
# never a flake. Locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


import pytest  # noqa: E402

from builder.core.i18n import set_language  # noqa: E402


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A test that switches to Chinese (the CLI's --lang, the window's language) leaves English behind it."""
    yield
    set_language("en")


@pytest.fixture(scope="session")
def trained_example(tmp_path_factory):
    """The example project trained for a few epochs with `builder train` (a few seconds): (project, weights),
    the weights as safetensors, which keep the class names. Shared by the tests that look inside a trained net."""
    from trained import train_example

    return train_example(tmp_path_factory.mktemp("trained"))
