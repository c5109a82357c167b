"""The domain never reaches into the shell: posts/ imports only what DESIGN.md allows."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# regex: pure computation (grapheme clusters, Unicode classes) for Mastodon lengths.
ALLOWED_THIRD_PARTY = {"sqlalchemy", "jinja2", "babel", "holidays", "regex", "posts"}
FORBIDDEN = {"scheduler", "click", "apscheduler", "requests", "rich", "mastodon", "alembic"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, wherever the import stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_posts_imports_only_the_standard_library_and_its_allowed_libraries() -> None:
    offenders = {}
    for path in sorted((ROOT / "posts").rglob("*.py")):
        bad = {
            name
            for name in imported_modules(path)
            if name not in sys.stdlib_module_names and name not in ALLOWED_THIRD_PARTY
        }
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from scheduler.cli import main\n    import requests\n")
    found = imported_modules(sample)
    assert {"scheduler", "requests"} <= found
    assert found & FORBIDDEN == {"scheduler", "requests"}


def test_no_posts_module_names_a_forbidden_package() -> None:
    for path in (ROOT / "posts").rglob("*.py"):
        assert imported_modules(path).isdisjoint(FORBIDDEN), path


def test_the_command_lines_status_list_is_the_models_own() -> None:
    # The command line keeps a literal copy so that `--help` needs no SQLAlchemy.
    from posts.models import Status
    from scheduler.commands.common import STATUSES
    from scheduler.overview import STATUSES as OVERVIEW

    assert STATUSES == OVERVIEW == tuple(s.value for s in Status)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(path: Path, package: str, modules: set[str]) -> set[str]:
    """The package's modules a file imports (`posts.claims`), wherever the import stands:
    inside a function or under TYPE_CHECKING counts as much as at the top. `from a import b`
    names the module a.b where there is one, else the package a."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith(f"{package}."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module != package and not node.module.startswith(f"{package}."):
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in modules else node.module)
    return names


def import_cycles(folder: Path, package: str = "posts") -> list[list[str]]:
    """Each cycle among the package's modules (subpackages too), as the modules it passes
    through."""
    paths = {module_name(path, folder.parent): path for path in folder.rglob("*.py")}
    graph = {name: package_imports(path, package, set(paths)) for name, path in paths.items()}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done or module not in graph:
            return
        for name in sorted(graph[module] - {module}):
            visit(name, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return cycles


def test_no_two_posts_modules_import_each_other_even_through_others() -> None:
    assert import_cycles(ROOT / "posts") == []


def test_no_two_scheduler_modules_import_each_other_even_through_others() -> None:
    assert import_cycles(ROOT / "scheduler", "scheduler") == []


def test_the_cycle_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "a.py").write_text("from posts.b import x\n")
    (folder / "b.py").write_text("from posts import c\n")
    (folder / "c.py").write_text("def f():\n    import posts.a\n")
    assert import_cycles(folder) == [["posts.a", "posts.b", "posts.c", "posts.a"]]
    (folder / "c.py").write_text("x = 1\n")
    assert import_cycles(folder) == []


def test_the_cycle_checker_sees_a_package_and_its_own_module(tmp_path: Path) -> None:
    # The shape of the old scheduler.channels: the package builds the dry-run channel, which
    # took a type from the package.
    folder = tmp_path / "scheduler" / "channels"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("def f():\n    from scheduler.channels.dryrun import D\n")
    (folder / "dryrun.py").write_text("from scheduler.channels import Builder\n")
    cycles = import_cycles(tmp_path / "scheduler", "scheduler")
    assert cycles == [["scheduler.channels", "scheduler.channels.dryrun", "scheduler.channels"]]
    (folder / "dryrun.py").write_text("from scheduler.channels.http import Builder\n")
    assert import_cycles(tmp_path / "scheduler", "scheduler") == []
