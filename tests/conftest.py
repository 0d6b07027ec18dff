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
