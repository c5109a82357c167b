"""The translation catalogs: extract every sentence from the code, update and check the
catalogs, compile them. Run by developers and by .ci/run:

    python -m scheduler.catalogs update    # after changing sentences: new ones get empty
                                           # translations to fill in posts/locale/*/.../*.po
    python -m scheduler.catalogs check     # fails when a catalog misses or lacks a sentence
    python -m scheduler.catalogs compile   # .po -> .mo beside it (the package build, setup.py,
                                           # compiles into the wheel; a source checkout
                                           # reads the .po when no .mo is there)

Sentences are what the code passes to `_`/`gettext`, `ngettext`, `N_` (posts/language.py),
the web templates' `_`/`gettext`/`ngettext`, and the help of every command: its docstring,
which click shows, is extracted too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from posts.language import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [
    ("posts/**.py", "scheduler.catalogs:extract_python_and_help"),
    ("scheduler/migrations/**.py", "ignore"),
    ("scheduler/**.py", "scheduler.catalogs:extract_python_and_help"),
    ("scheduler/web/templates/**.html", "jinja2.ext:babel_extract"),
]
OPTIONS = {"scheduler/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract_python_and_help(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel's Python extraction, plus the docstring of every click command (its help)."""
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[arg-type]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc:
                yield node.lineno, "", doc, []


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in {"command", "group"}


def extract() -> Catalog:
    """Every sentence of the code, as a template catalog."""
    catalog = Catalog(domain=DOMAIN, project="postsched", locale=SOURCE)
    found = extract_from_dir(
        str(ROOT), METHODS, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


def translated_languages() -> list[str]:
    return [language for language in LANGUAGES if language != SOURCE]


def update() -> None:
    """Bring every catalog in line with the code: new sentences added untranslated, gone ones
    dropped (no fuzzy guesses: a changed sentence is translated again, on purpose)."""
    template = extract()
    for language in translated_languages():
        path = po_path(language)
        catalog = read(language) if path.exists() else Catalog(locale=language, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(catalog, path)
        path.with_suffix(".mo").unlink(missing_ok=True)  # a stale compiled copy would win


def problems() -> list[str]:
    """What is wrong with the catalogs: sentences of the code no catalog has, sentences a
    catalog has that the code no longer says, and sentences left untranslated or fuzzy."""
    found = []
    wanted = {_key(m) for m in extract() if m.id}
    for language in translated_languages():
        catalog = read(language)
        have = {_key(m): m for m in catalog if m.id}
        for key in sorted(wanted - have.keys(), key=str):
            found.append(f"{language}: not in the catalog: {key[0]!r}")
        for key in sorted(have.keys() - wanted, key=str):
            found.append(f"{language}: no longer in the code: {key[0]!r}")
        for key, message in sorted(have.items(), key=lambda item: str(item[0])):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                found.append(f"{language}: not translated: {key[0]!r}")
            elif message.python_format or "{" in str(key[0]):
                found.extend(_placeholders(language, message))
    return found


def _key(message: Any) -> tuple[str, str | None]:
    ident = message.id[0] if isinstance(message.id, tuple) else message.id
    return ident, message.context


def _placeholders(language: str, message: Any) -> list[str]:
    """A translation must name the same {placeholders} as its sentence, or format() fails."""
    import string

    def names(text: str) -> set[str]:
        try:
            return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError:
            return {"<unbalanced braces>"}

    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    expected = set().union(*(names(i) for i in ids))
    return [
        f"{language}: {ids[0]!r} is translated with placeholders {sorted(names(s))}"
        for s in strings
        if names(s) - expected
    ]


def compile_catalogs(target: Path = LOCALE_DIR) -> list[Path]:
    """Write each catalog's .mo under `target` (the package's locale folder, or a build's)."""
    written = []
    for language in translated_languages():
        out = target / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as handle:
            write_mo(handle, read(language))
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verb = args[0] if args else ""
    if verb == "update":
        update()
        print(f"Catalogs updated: {', '.join(str(po_path(x)) for x in translated_languages())}")
    elif verb == "check":
        found = problems()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} catalog problems: run `python -m scheduler.catalogs update`, then")
            print("translate every empty msgstr.")
            return 1
        print("Catalogs complete.")
    elif verb == "compile":
        for path in compile_catalogs():
            print(f"Compiled {path}")
    else:
        print("usage: python -m scheduler.catalogs update|check|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
