import os
import sys
from pathlib import Path

# Qt must never look for a display, in CI or here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))
