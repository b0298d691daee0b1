"""Print the requirements of one optional extra of pyproject.toml, one a line, for ``pip -r``.

``make docs`` installs the ``docs`` extra's tools into a virtual environment that already has
convkit installed (editable); ``pip install -e ".[docs]"`` would rebuild every kernel for
nothing. Usage: ``python docs/extra_requirements.py docs | pip install -r /dev/stdin``.
"""

import pathlib
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip's vendored copy of the same parser
    from pip._vendor import tomli as tomllib


def main(extra: str) -> None:
    pyproject = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    if extra not in extras:
        raise SystemExit(f"no optional extra {extra!r} in {pyproject}; have: {sorted(extras)}")
    print("\n".join(extras[extra]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
