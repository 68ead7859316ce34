"""DESIGN.md section 4: imports go one way (cli -> tools -> ui -> app -> backend -> core; device imports
nothing of kiosk; nothing below ui imports Qt), and no module of kiosk or device is in an import cycle.

The rules are import-linter contracts in pyproject.toml ([tool.importlinter]); these tests run them, prove
they bite, and compute the import graph's cycles themselves (imports inside functions and under
TYPE_CHECKING count: both are how cycles hide)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "device")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the tree at ``root`` (its pyproject.toml), in a fresh interpreter."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    assert "0 broken" in result.stdout


def test_a_screen_that_imports_the_window_breaks_the_contracts(tmp_path: Path) -> None:
    # The contracts must bite: the same tree with one screen importing the window (for a type only) fails.
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    screen = tmp_path / "kiosk" / "ui" / "screens" / "number.py"
    text = screen.read_text(encoding="utf-8")
    screen.write_text(text.replace("from __future__ import annotations\n",
                                   "from __future__ import annotations\n\nfrom typing import TYPE_CHECKING\n\n"
                                   "if TYPE_CHECKING:\n    from kiosk.ui.shell.window import KioskWindow  # noqa\n",
                                   1), encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "A screen never imports the window" in result.stdout
    assert "kiosk.ui.screens.number -> kiosk.ui.shell.window" in result.stdout


def import_cycles() -> list[list[str]]:
    """Every strongly connected set of more than one module (or a module importing itself), by Tarjan's
    algorithm over grimp's graph of kiosk and device."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i.split(".")[0] in PACKAGES)
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in edges[module]:
                cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_module_of_kiosk_or_device_is_in_an_import_cycle() -> None:
    cycles = import_cycles()
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch) -> None:
    # a two-module package importing each other inside a function: the finder must name both
    package = tmp_path / "kiosk"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from kiosk import b\n")
    (package / "b.py").write_text("import kiosk.a\n")
    (tmp_path / "device").mkdir()
    (tmp_path / "device" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    assert import_cycles() == [["kiosk.a", "kiosk.b"]]


def test_core_and_app_load_without_qt() -> None:
    # Import every core and app module in a fresh interpreter and check Qt never got loaded.
    modules = [f"kiosk.{layer}.{p.stem}" for layer in ("core", "app")
               for p in (ROOT / "kiosk" / layer).glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
