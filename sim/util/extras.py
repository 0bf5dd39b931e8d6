"""The optional extras of the package, and the one-line error when a feature's extra is not installed.

A plain install runs scenarios, sweeps on local processes, comparisons and
sensitivity analyses. Some features need more: Dask for sweeps on a cluster
(``--scheduler``, ``--dask-local``), scikit-learn for the decision tree of
``cohesion analyze``; each is an extra of ``pyproject.toml`` (``[dask]``,
``[analysis]``). :func:`require` turns a missing extra into bad input (exit
code 2) that says what to install.
"""

from __future__ import annotations

import importlib

from sim.util.errors import InputError

DISTRIBUTION = "alliance-cohesion"

# extra -> the modules it provides that the package imports
EXTRAS = {
    "dask": ("dask", "distributed"),
    "analysis": ("sklearn",),
}


def install_hint(extra: str) -> str:
    """``pip install 'alliance-cohesion[EXTRA]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(extra: str, field: str, feature: str, needs: str | None = None) -> None:
    """Import the modules of ``extra``; InputError on ``field`` naming the extra to install if one is missing.

    ``feature`` says what needs it, e.g. ``"a Dask cluster"``, in the words of what the user did: ``field`` is
    the option the user gave (``"--scheduler"``), or the command (``"cohesion analyze"``) when the feature is a
    default the user did not choose. ``needs`` names what is missing (default: "the optional extra [EXTRA]").
    Raises KeyError for an unknown ``extra``.
    """
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            missing = needs or f"the optional extra [{extra}]"
            raise InputError(field, f"{feature} needs {missing}: {install_hint(extra)}") from None
