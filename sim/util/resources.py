"""Where the packaged scenarios and experiments are: in a checkout, an editable install or an installed wheel.

They live at the top of the repository (``scenarios/``, ``experiments/``);
the wheel carries them inside the package (``sim/data/scenarios/``,
``sim/data/experiments/``, mapped by ``package-dir`` in ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the sim package
DATA = PACKAGE / "data"
SUFFIXES = (".yaml", ".yml")


def packaged_folder(name: str) -> Path:
    """The folder of packaged ``scenarios`` or ``experiments``: inside the installed package, else the checkout's.

    The path returned may not exist (a package installed without its data); callers then find nothing.
    """
    installed = DATA / name
    return installed if installed.is_dir() else PACKAGE.parent / name


def packaged_experiments() -> dict[str, Path]:
    """Name -> path of the experiment files shipped with the tool."""
    folder = packaged_folder("experiments")
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES}
