"""The suite's own rules: where test modules live and what they may import.

Tests share helpers through `tests/builders/`, never by importing another test module
(importing one re-collects its tests and ties two specifications together); the reader's
tests in `tests/certificates/` need no part of the service.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FOLDERS = ("app", "certificates")
SERVICE_PACKAGES = ("bot", "handlers", "storage", "scheduler", "config", "reports")


def _modules() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts)


def _imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module a file imports, with its line (relative imports resolved to `tests.…`)."""
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from tests.app import test_x` imports a module too.
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {name}"
        for path in _modules()
        for line, name in _imports(path)
        if _is_test_module(name)
    ]
    assert not offenders, "move shared helpers into tests/builders/:\n" + "\n".join(offenders)


def test_every_test_module_is_in_app_or_certificates() -> None:
    misplaced = [
        str(path.relative_to(TESTS.parent))
        for path in TESTS.rglob("test_*.py")
        if path.parent.name not in FOLDERS and path != Path(__file__).resolve()
    ]
    assert not misplaced, "service tests go in tests/app/, reader tests in tests/certificates/: " + ", ".join(misplaced)


def test_reader_tests_need_no_part_of_the_service() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {name}"
        for path in sorted((TESTS / "certificates").rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in SERVICE_PACKAGES
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_catches_each_way_of_importing_a_test_module() -> None:
    spellings = {
        "from tests.app.test_x import SAMPLE": True,
        "import tests.app.test_x": True,
        "from tests.app import test_x": True,
        "from tests.app.conftest import CHANNELS": True,
        "from .test_x import SAMPLE": True,
        "from tests.builders.chat import link": False,
    }
    probe = TESTS / "app" / "probe.py"  # never written: the source is given
    for source, caught in spellings.items():
        names = [name for _, name in _imports(probe, source)]
        assert any(_is_test_module(name) for name in names) is caught, source
