"""Starting the desktop app, with a clear message where Qt cannot open a window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from builder.core.i18n import tr

# Debian/Ubuntu packages for the libraries Qt's xcb plugin loads.
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0", "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-randr.so": "libxcb-randr0", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
    "libX11-xcb.so.1": "libx11-xcb1", "libxcb.so.1": "libxcb1",
}


def platform_problem() -> str | None:
    """Why Qt would abort instead of opening a window, in words, or None when it should work."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return tr("no display: NN Builder's window needs a desktop session (DISPLAY or WAYLAND_DISPLAY is not set). "
                  "On a headless machine use `builder check|export|train`, or run the app under `xvfb-run builder`.")
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return None  # Qt's Wayland plugin has its own, fewer needs
    missing = missing_xcb_libraries()
    if missing:
        packages = sorted({XCB_PACKAGES.get(lib, lib) for lib in missing})
        return tr("Qt's window plugin (xcb) needs system libraries that are missing: {libraries}.\n"
                  "On Debian or Ubuntu: sudo apt-get install {packages}",
                  libraries=", ".join(sorted(missing)), packages=" ".join(packages))
    return None


def missing_xcb_libraries() -> set[str]:
    """Shared libraries the xcb platform plugin links to that the system lacks (read with ldd)."""
    try:
        import PySide6
    except ImportError:
        return set()
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    ldd = shutil.which("ldd")
    if not plugin.is_file() or ldd is None:
        return set()
    try:
        output = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    missing = {line.split("=>")[0].strip() for line in output.splitlines() if "not found" in line}
    # Qt 6.5+ loads xcb-cursor at run time rather than linking it: look for it by name.
    if not _library_exists("libxcb-cursor.so.0"):
        missing.add("libxcb-cursor.so.0")
    return missing


def _library_exists(name: str) -> bool:
    try:
        output = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # can't tell: let Qt try
    return name in output


def run_app(path: str | None = None, language: str | None = None) -> int:
    problem = platform_problem()
    if problem:
        print(tr("builder: cannot open the window: {problem}", problem=problem), file=sys.stderr)
        return 3
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from builder.core.document import Document
    from builder.core.project import ProjectError, load_project
    from builder.core.templates import EXAMPLE, load_template
    from builder.ui import theme
    from builder.ui.language import apply_language, chosen_language
    from builder.ui.main_window import MainWindow
    from builder.ui.startup_report import VARIABLE, report_startup
    from builder.ui.torch_loader import TorchLoader

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("NN Builder")
    app.setOrganizationName("NN Builder")
    theme.apply(app)
    settings = QSettings("NN Builder", "NN Builder")
    while True:
        font_warning = apply_language(app, chosen_language(settings, language))
        try:
            project = load_project(path) if path else load_template(EXAMPLE)  # the example: new and untitled
        except ProjectError as exc:
            print(f"builder: {exc}", file=sys.stderr)
            return 2
        # PyTorch loads once the window has painted: editing needs none of it (see torch_loader.py).
        window = MainWindow(Document(project), settings=settings, torch_loader=TorchLoader(background=True))
        if os.environ.get(VARIABLE):
            report_startup(window, os.environ[VARIABLE])
        window.show()
        if font_warning:
            window.status(font_warning, 20_000)
        window.offer_recovery()
        window.torch.when_loaded(lambda shown=window: shown.training.warm_up())  # once training is there
        status = app.exec()
        if not window.restart_requested:
            return status
        # View → Language: the same project again, in the language now chosen (the window asked to save first).
        path, language = (str(window.document.path) if window.document.path else path), None
        window.deleteLater()
