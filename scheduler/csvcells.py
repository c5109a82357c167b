"""The cells of the CSV files postsched writes and reads: no formula out, each record with the
line it starts on in, and a quote left open refused where it opened (see scheduler/exchange.py
for the rules as the officer reads them)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence

from posts.language import gettext as _
from posts.language import show_number

# What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
LIMIT = csv.field_size_limit()


def safe_cell(value: object) -> str:
    """The cell as a spreadsheet should show it: text, never a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or _QUOTED_FORMULA.match(text):
        return "'" + text
    return text


def safe_row(values: Sequence[object]) -> list[str]:
    return [safe_cell(value) for value in values]


def read_cell(text: str) -> str:
    """A cell as safe_cell had it before: one quote off quotes followed by a formula's start."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


def records(
    text: str, delimiter: str, name: str, is_row: Callable[[list[str]], bool]
) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells), blank lines left out. A quote that runs to the
    end of the file, over a line `is_row` takes for a row of its own, or a cell over csv's
    limit, is an InputError naming the line where the record starts."""
    from posts.errors import InputError

    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(_why(name, start, reader.line_num, str(exc))) from None
        end = reader.line_num
        if not cells:
            continue  # a blank line
        for number in range(start + 1, end + 1):
            inside = next(csv.reader([lines[number - 1]], delimiter=delimiter))
            if is_row(inside):
                raise InputError(
                    _(
                        "{path} line {line}: a quote opened on this line is closed only after "
                        "line {closed}, which reads as a row of its own; close the quote where "
                        'the text ends (a quote inside a text is written twice: "").'
                    ).format(path=name, line=start, closed=number)
                )
        yield start, cells


def _why(name: str, start: int, at: int, error: str) -> str:
    if "field limit" in error:  # untranslated: the csv module's own error
        return _(
            "{path} line {line}: a cell holds more than {limit} characters, far more than "
            "any post; is a quote left open there?"
        ).format(path=name, line=start, limit=show_number(LIMIT))
    if "unexpected end of data" in error:  # untranslated: the csv module's own error
        return _(
            "{path} line {line}: a quote opened on this line is never closed, so the rest "
            "of the file would be read as one text; close the quote where the text ends."
        ).format(path=name, line=start)
    return _(
        "{path} line {line}: a quoted cell goes on after its closing quote; close the quote "
        'where the cell ends (a quote inside a text is written twice: "").'
    ).format(path=name, line=at)
