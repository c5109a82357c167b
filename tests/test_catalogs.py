"""Every sentence a person reads is in the catalogs, and every catalog translates all of them.

Two checks: the catalogs match what the code says (scheduler/catalogs.py: no sentence missing,
none left untranslated or fuzzy, placeholders kept), and no sentence escapes the catalogs: a
string literal that reads as words, in posts/, scheduler/ or a web template, is either passed to
`_`/`gettext`/`ngettext`/`N_` or carries `# untranslated: <why>` on its line (a machine's value:
a header, a log format, a stored value, SQL).
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

from scheduler.catalogs import compile_catalogs, problems

ROOT = Path(__file__).resolve().parent.parent
GETTEXT = {"_", "gettext", "ngettext", "N_"}
# Words a person would read: two words of letters side by side, or one capitalised word
# ending a sentence.
WORDS = re.compile(r"[^\W\d_]{2,}[,;:'’]?\s+[^\W\d_]{2,}|^[A-Z][a-z]+[.:!?]$")
NOT_SCANNED = {"scheduler/catalogs.py", "scheduler/click_words.py"}
MARK = "# untranslated"


def test_the_catalogs_hold_every_sentence_of_the_code_translated() -> None:
    assert problems() == []


def test_the_catalogs_compile(tmp_path: Path) -> None:
    written = compile_catalogs(tmp_path)
    assert written and all(path.stat().st_size > 1000 for path in written)


def _python_files() -> list[Path]:
    files = [*(ROOT / "posts").rglob("*.py"), *(ROOT / "scheduler").rglob("*.py")]
    return sorted(
        p
        for p in files
        if "migrations" not in p.parts and str(p.relative_to(ROOT)) not in NOT_SCANNED
    )


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _inside_gettext(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if isinstance(node.func, ast.Attribute):
                name = node.func.attr
            if name in GETTEXT:
                for arg in node.args:
                    found.update(id(n) for n in ast.walk(arg))
    return found


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        )
    return None


def untranslated_python(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _docstrings(tree) | _inside_gettext(tree)
    for node in ast.walk(tree):  # the parts of an f-string are judged with the f-string
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        text = _literal_text(node)
        if text is None or not WORDS.search(re.sub(r"\{[^{}]*\}", " ", text)):
            continue
        start, end = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        if any(MARK in lines[i - 1] for i in range(start, end + 1)):
            continue
        found.append(f"{_name(path)}:{start}: {text[:70]!r}")
    return found


class _TemplateText(HTMLParser):
    ATTRIBUTES: ClassVar[set[str]] = {
        "title",
        "placeholder",
        "aria-label",
        "alt",
        "value",
        "content",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def _judge(self, text: str) -> None:
        plain = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
        if re.search(r"[^\W\d_]{2,}", plain):
            self.found.append((self.getpos()[0], " ".join(plain.split())[:70]))

    def handle_data(self, data: str) -> None:
        self._judge(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.ATTRIBUTES and value and not (tag == "input" and name == "value"):
                self._judge(value)


def untranslated_template(path: Path) -> list[str]:
    text = path.read_text()
    # Jinja blocks hold no text for a person but their string arguments, judged by the
    # catalog check; drop them (with anything inside) before reading the HTML.
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(
        r"\{%.*?%\}|\{\{.*?\}\}", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S
    )
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
    parser = _TemplateText()
    parser.feed(text)
    return [f"{_name(path)}:{line}: {words!r}" for line, words in parser.found]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sentence_of_the_code_escapes_the_catalogs(path: Path) -> None:
    assert untranslated_python(path) == []


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "scheduler" / "web" / "templates").glob("*.html")),
    ids=lambda p: p.name,
)
def test_no_sentence_of_the_web_page_escapes_the_catalogs(path: Path) -> None:
    assert untranslated_template(path) == []


def test_the_checks_find_a_sentence_left_out(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from posts.language import gettext as _\n"
        'a = _("Post queued.")\n'
        'b = f"Post {a} queued."\n'
        'c = "text/plain; charset=utf-8"  # untranslated: a header\n'
    )
    page = tmp_path / "page.html"
    page.write_text('<p>{{ _("Queue") }}</p><p>Post log</p><a title="Open it">x</a>')
    assert [line.split(": ", 1)[1] for line in untranslated_python(sample)] == ["'Post {} queued.'"]
    assert [line.split(": ", 1)[1] for line in untranslated_template(page)] == [
        "'Post log'",
        "'Open it'",
    ]
