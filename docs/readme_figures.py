"""Redraw the figures the README shows from the current model, and check that they are current.

Run from the repository root (``make readme-figures`` runs the first)::

    python docs/readme_figures.py            # redraw every README figure with the cohesion command
    python docs/readme_figures.py --check    # exit 1 if a README figure was drawn by another model

Each figure is drawn as the README tells readers to draw it: by the ``cohesion``
command (a results folder in a temporary folder, then one of its figures copied
to ``docs/figures/``). Beside each image, a JSON file of the same name records
what drew it: the command, the package version, the code hash that sweeps use
(:func:`sim.util.files.code_hash`), the digest of the golden outputs
(:func:`golden_digest`) and, for a figure whose runs draw their parameters from
the shipped posterior, that file's sha256.

Which model drew a figure is told by the golden outputs: ``tests/golden/`` is
rewritten on purpose (``tests/golden/regenerate.py``) whenever a change of the
model changes its numbers, and ``tests/golden/test_golden.py`` fails until it is. A
figure whose recorded digest differs from the digest of the golden outputs now
was drawn by another model than theirs: ``--check`` (and
``tests/contracts/test_docs.py``) then fails until the figure is redrawn. An edit of the
docs, or of how the model computes what it computes, changes neither digest
and needs no redraw. The shipped posterior is regenerated on purpose too
(``make posterior``): a figure drawn from another posterior fails the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GOLDEN = ROOT / "tests" / "golden"


@dataclasses.dataclass(frozen=True)
class Figure:
    """One README figure: the ``cohesion`` command that draws it and which file of its results folder it is."""

    image: str  # path of the image in the repository, as the README links it
    argv: tuple[str, ...]  # the cohesion command's arguments, without --out and --quiet
    drawn: str  # the figure in the results folder's figures/
    posterior: bool = True  # its runs draw their parameters from the shipped posterior (the default of run)

    @property
    def record(self) -> Path:
        return ROOT / Path(self.image).with_suffix(".json")


# Every figure the README shows, by the path the README links.
FIGURES = (
    Figure(
        "docs/figures/perfect_storm_headline.png",
        ("run", "perfect_storm", "--replications", "40", "--workers", "2"),  # as make demo runs it
        "headline.png",
    ),
)


def golden_digest(golden: Path = GOLDEN) -> str:
    """sha256 over the golden tables (``*.parquet``, by name and bytes, in sorted order): the golden model's identity.

    Returns ``"sha256:<64 hex digits>"``; raises FileNotFoundError if ``golden`` holds no table.
    """
    files = sorted(golden.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no golden tables in {golden}")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def posterior_digest() -> str:
    """sha256 of the shipped posterior (``sim/data/posterior.csv``), as run manifests record it."""
    from sim.inputs.posterior import POSTERIOR_FILE
    from sim.util.files import file_sha256

    return file_sha256(POSTERIOR_FILE)


def readme_images(readme: Path = README) -> list[str]:
    """The local images a Markdown file shows (``![alt](path)``), as written, relative to its folder."""
    text = readme.read_text(encoding="utf-8")
    found = re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)
    found += re.findall(r"<img\s[^>]*src=\"([^\"]+)\"", text)
    return [image for image in found if not re.match(r"^[a-z][a-z0-9+.-]*:", image)]


def problems(readme: Path = README, golden: Path = GOLDEN, figures: tuple[Figure, ...] = FIGURES) -> list[str]:
    """What is wrong with the README's figures, one line each; empty if every one is current.

    A README image must be one of ``figures`` (so that ``make readme-figures`` redraws it), exist, and have
    its record beside it whose golden digest is that of ``golden`` now.
    """
    known = {figure.image: figure for figure in figures}
    current = golden_digest(golden)
    posterior = posterior_digest() if any(figure.posterior for figure in figures) else None
    out = []
    for image in readme_images(readme):
        figure = known.get(image)
        if figure is None:
            out.append(f"{image}: shown by the README but not listed in FIGURES of docs/readme_figures.py")
            continue
        if not (readme.parent / image).is_file():
            out.append(f"{image}: missing; run make readme-figures")
            continue
        record_path = readme.parent / Path(image).with_suffix(".json")
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            out.append(f"{image}: no readable record of the model that drew it; run make readme-figures")
            continue
        if record.get("golden_digest") != current:
            out.append(
                f"{image}: drawn by another model than the golden outputs (tests/golden/ changed since); "
                "run make readme-figures"
            )
        elif figure.posterior and record.get("posterior_sha256") != posterior:
            out.append(f"{image}: drawn from another shipped posterior than sim/data's; run make readme-figures")
    return out


def _cohesion() -> list[str]:
    """The cohesion command of this interpreter's environment (``python -m sim`` is the same command)."""
    script = Path(sys.executable).parent / "cohesion"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim"]


def redraw(figure: Figure) -> None:
    """Draw one figure with the cohesion command and write it and its record into the repository."""
    from sim import __version__
    from sim.util.files import code_hash

    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [*_cohesion(), *figure.argv, "--out", scratch, "--quiet"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            sys.exit(f"error: cohesion {' '.join(figure.argv)} failed:\n{done.stderr}")
        folder = Path(done.stdout.strip().splitlines()[-1])
        shutil.copyfile(folder / "figures" / figure.drawn, ROOT / figure.image)
    record = {
        "image": figure.image,
        "command": "cohesion " + " ".join(figure.argv),
        "figure": f"figures/{figure.drawn} of its results folder",
        "version": __version__,
        "code_hash": code_hash(),
        "golden_digest": golden_digest(),
    }
    if figure.posterior:
        record["posterior_sha256"] = posterior_digest()
    figure.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"{figure.image}: drawn by cohesion {' '.join(figure.argv)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that every README figure is current")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    for figure in FIGURES:
        redraw(figure)
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
