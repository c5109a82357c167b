"""Rule 5: bad input gets one clear sentence, exit status 1, no traceback, and changes nothing.

Every refusal here is checked the same way (`assert_refused`): exit status 1, exactly one line
on stderr starting with "Error: " and naming the problem, nothing on stdout, no traceback. Where
a database exists, its bytes (the SQLite file and its -wal file when present) are the same
after the refusal as before; where none exists yet, none is created.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import Result, run
from tests.factories import png

AS_OF = "2026-01-05T08:00"
DB_NAME = "postsched.db"
ANNOUNCE = Path("templates/article/announce.mastodon.j2")
# helpers -----------------------------------------------------------------------------------


def assert_refused(result: Result, *fragments: str) -> None:
    """Exit 1, one `Error: …` line on stderr naming each fragment, no traceback, no stdout."""
    shown = f"code={result.code}\nstdout={result.out!r}\nstderr={result.err!r}"
    assert result.code == 1, shown
    assert "Traceback" not in result.err, shown
    lines = result.err.splitlines()
    assert len(lines) == 1, shown
    sentence = lines[0]
    assert sentence.startswith("Error: "), shown
    assert len(sentence) > len("Error: ") + 10, shown
    for fragment in fragments:
        assert fragment.lower() in sentence.lower(), f"{fragment!r} missing\n{shown}"
    assert result.out == "", shown


def db_snapshot(db: Path) -> dict[str, str]:
    """sha256 of the SQLite file and of its -wal file when present, by file name.

    Connections left open by earlier in-process commands are collected first, so that their
    closing (which checkpoints and removes the WAL) cannot happen between two snapshots.
    """
    gc.collect()
    hashes = {}
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def assert_unchanged(db: Path, before: dict[str, str]) -> None:
    assert db_snapshot(db) == before, "a refused command changed the database"


def refused_unchanged(db: Path, *args: str) -> Result:
    """Run a command on an existing database; assert it left the database as it was."""
    before = db_snapshot(db)
    assert before, f"{db} should exist before this command"
    result = run(*args)
    assert_unchanged(db, before)
    return result


def database_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".db" or ".db-" in p.name)


def replace_in(path: Path, pattern: str, replacement: str) -> None:
    """Edit a copied project file; the pattern must match exactly once (a multiline regex)."""
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} matched {count} times in {path}"
    path.write_text(new, encoding="utf-8")


def append_line(path: Path, line: str) -> int:
    """Append a line to a template; return its line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    number = len(text.splitlines()) + 1
    path.write_text(f"{text}{line}\n", encoding="utf-8")
    return number


def post_ids(*args: str) -> list[int]:
    result = run("queue", "--json", *args)
    assert result.code == 0, result.err
    return [p["id"] for p in json.loads(result.out)]


# a positive control for the helpers ------------------------------------------------------


def test_the_snapshot_sees_a_write(planned: Path) -> None:
    before = db_snapshot(planned)
    result = run("approve", "1")
    assert result.code == 0, result.err
    assert db_snapshot(planned) != before


def test_the_snapshot_is_stable_across_a_read(planned: Path) -> None:
    before = db_snapshot(planned)
    assert run("queue", "--json").code == 0
    assert db_snapshot(planned) == before


# 1-4: config.toml ---------------------------------------------------------------------------

CONFIG_COMMANDS = [
    pytest.param(["check"], id="check"),
    pytest.param(["plan", "--as-of", AS_OF], id="plan"),
    pytest.param(["queue"], id="queue"),
    pytest.param(["add", "mastodon", "--at", "+1d", "--text", "Bonjour"], id="add"),
]

CONFIG_BREAKAGES = [
    pytest.param(
        None, "this is = = not toml [[[\n", ("config.toml", "not valid TOML"), id="garbage"
    ),
    pytest.param(
        r'^timezone = "Europe/Paris"\n', "", ("[campaign]", "timezone", "missing"), id="no-timezone"
    ),
    pytest.param(
        r'^url = "https://shs\.cairn\.info/[^"]*".*\n',
        "",
        ("[article]", "url", "missing"),
        id="no-article-url",
    ),
    pytest.param(
        r'^timezone = "Europe/Paris"',
        'timezone = "Mars/Olympus"',
        ("Mars/Olympus", "timezone"),
        id="unknown-timezone",
    ),
    pytest.param(
        r'^type = "mastodon"',
        'type = "myspace"',
        ("channels.mastodon", "myspace"),
        id="unknown-channel-type",
    ),
    pytest.param(
        r'^min_gap = "2h"',
        'min_gab = "2h"',
        ("[campaign]", "'min_gab'", "did you mean 'min_gap'"),
        id="typo-in-a-key",
    ),
    pytest.param(
        r'^visibility = "public"',
        'visibilty = "unlisted"',
        ("[channels.mastodon]", "'visibilty'", "did you mean 'visibility'"),
        id="typo-in-a-channel-key",
    ),
    pytest.param(
        r"^\[daemon\]",
        "[deamon]",
        ("the top level", "'deamon'", "did you mean 'daemon'"),
        id="typo-in-a-section",
    ),
    # Subjects (issue 12): deadlines, sessions and the campaign's end, each against its start.
    pytest.param(
        r"^expires = 2026-04-16",
        "expires = 2026-01-01",
        ("[article]", "expires 2026-01-01", "before the campaign start 2026-01-12"),
        id="article-expires-before-start",
    ),
    pytest.param(
        r'^key = "comprendre"\n',
        r"\g<0>expires = 2025-12-01\n",
        ("[[courses]] #2", "expires 2025-12-01", "before the campaign start"),
        id="course-expires-before-start",
    ),
    pytest.param(
        r"^\[contact\]",
        "[[courses.sessions]]\nstart = 2025-12-01\n\n[contact]",
        ("[[courses.sessions]] #1 of [[courses]] #4", "start 2025-12-01", "before the campaign"),
        id="session-before-start",
    ),
    pytest.param(
        r"^\[contact\]",
        "[[courses.sessions]]\nstart = 2026-03-02\nend = 2026-03-01\n\n[contact]",
        ("[[courses.sessions]] #1 of [[courses]] #4", "end 2026-03-01", "before its start"),
        id="session-ends-before-it-starts",
    ),
    pytest.param(
        r"^\[contact\]",
        '[[courses.phases]]\nname = "rappel"\nanchor = "expires"\n\n[contact]',
        ("[[courses]] #4 phase 'rappel'", 'anchored on "expires"', "has no expires"),
        id="expires-phase-without-expires",
    ),
    pytest.param(
        r"^start = 2026-01-12",
        "start = 2026-01-12\nend = 2026-01-11",
        ("[campaign] end 2026-01-11", "before its start 2026-01-12"),
        id="campaign-ends-before-it-starts",
    ),
]


def test_every_unknown_key_is_named_with_the_keys_its_table_accepts(planned: Path) -> None:
    config = planned.parent / "config.toml"
    text = config.read_text(encoding="utf-8")
    second = text.index("\n[[courses]]", text.index("\n[[courses]]") + 1) + 1
    end = text.index("\n", second) + 1
    extra = 'deadline = 2027-02-26\nend = 2027-03-01\nimage_alts = "x"\n'
    config.write_text(text[:end] + extra + text[end:], encoding="utf-8")
    result = refused_unchanged(planned, "check")
    assert_refused(
        result,
        "[[courses]] #2 has keys postsched does not know, 'deadline' (did you mean 'expires'?), "
        "'end' and 'image_alts' (did you mean 'image_alt'?); [[courses]] accepts: ",
    )
    accepted = result.err.split("accepts: ")[1].split(";")[0].split(", ")
    assert {"key", "title", "formats", "url", "summary", "posts", "image", "image_alt"} <= set(
        accepted
    )
    assert "deadline" not in accepted and "token" not in accepted


def break_config(project: Path, pattern: str | None, replacement: str) -> None:
    config = project / "config.toml"
    if pattern is None:
        config.write_text(replacement, encoding="utf-8")
    else:
        replace_in(config, pattern, replacement)


@pytest.mark.parametrize(("pattern", "replacement", "fragments"), CONFIG_BREAKAGES)
@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_a_bad_config_is_refused_and_the_database_is_untouched(
    planned: Path,
    command: list[str],
    pattern: str | None,
    replacement: str,
    fragments: tuple[str, ...],
) -> None:
    project = planned.parent
    break_config(project, pattern, replacement)
    result = refused_unchanged(planned, *command)
    assert_refused(result, *fragments)


@pytest.mark.parametrize(("pattern", "replacement", "fragments"), CONFIG_BREAKAGES)
def test_init_with_a_bad_config_creates_no_database(
    project: Path, pattern: str | None, replacement: str, fragments: tuple[str, ...]
) -> None:
    break_config(project, pattern, replacement)
    assert_refused(run("init"), *fragments)
    assert database_files(project) == []


def test_a_missing_config_file_is_named(project: Path) -> None:
    assert_refused(run("--config", "nowhere.toml", "init"), "nowhere.toml", "does not exist")
    assert database_files(project) == []


def test_a_config_duration_out_of_range_is_named(planned: Path) -> None:
    replace_in(
        planned.parent / "config.toml", r'^safety_margin = "12h"', 'safety_margin = "9999999999d"'
    )
    result = refused_unchanged(planned, "check")
    assert_refused(result, "safety_margin")
    assert "unexpected" not in result.err.lower()


# A course whose text promises a date after its expires: refused where texts are rendered.

PROMISES = [
    pytest.param(
        r'^key = "comprendre"\n',
        '\\g<0>expires = 2026-02-26\nsummary = "Inscriptions jusqu\'au 3 mars 2026."\n',
        None,
        ("course 'comprendre'", "3 mars 2026", "in its summary", "expires 2026-02-26"),
        id="in-its-summary",
    ),
    pytest.param(
        r'^key = "comprendre"\n',
        "\\g<0>expires = 2026-02-26\n",
        "Inscriptions avant le 02/03/2026.",
        ("course 'comprendre'", "02/03/2026", "course:comprendre/promo", "expires 2026-02-26"),
        id="in-a-rendered-post",
    ),
]


@pytest.mark.parametrize(("pattern", "lines", "template_line", "fragments"), PROMISES)
@pytest.mark.parametrize(
    "command", [["check"], ["plan", "--as-of", AS_OF, "--dry-run"], ["plan", "--as-of", AS_OF]]
)
def test_a_course_promising_a_date_after_its_expires_is_refused(
    planned: Path,
    command: list[str],
    pattern: str,
    lines: str,
    template_line: str | None,
    fragments: tuple[str, ...],
) -> None:
    project = planned.parent
    replace_in(project / "config.toml", pattern, lines)
    if template_line:
        append_line(project / "templates/course/default.mastodon.j2", template_line)
    assert_refused(refused_unchanged(planned, *command), *fragments)


def test_a_course_may_print_its_own_later_sessions(project: Path) -> None:
    """Session dates come after the registration deadline by nature: they are no promise."""
    replace_in(
        project / "config.toml",
        r"^\[contact\]",
        '[[courses.sessions]]\nstart = 2026-05-04\nplace = "Nice"\n\n[contact]',
    )
    replace_in(project / "config.toml", r'^key = "outils"\n', "\\g<0>expires = 2026-03-20\n")
    append_line(
        project / "templates/course/default.linkedin.j2",
        "{% for s in course.sessions %}Le {{ s.start | date }} à {{ s.place }}.{% endfor %}",
    )
    result = run("check")
    assert result.code == 0, result.err


# 5-7: templates ---------------------------------------------------------------------------

TEMPLATE_COMMANDS = [
    pytest.param(["check"], id="check"),
    pytest.param(["plan", "--as-of", AS_OF, "--dry-run"], id="plan-dry-run"),
    pytest.param(["plan", "--as-of", AS_OF], id="plan"),
]


@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_every_post_too_long_is_listed_with_its_channel_length_and_limit(
    planned: Path, command: list[str]
) -> None:
    """Five posts over Mastodon's 500 (the article's announce and the four courses): each on a
    line of its own, then one closing sentence naming them; nothing written."""
    project = planned.parent
    append_line(project / ANNOUNCE, "x" * 500)
    append_line(project / "templates/course/default.mastodon.j2", "y" * 500)
    result = refused_unchanged(planned, *command)
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err
    *problems, closing = result.err.splitlines()
    assert len(problems) == 5, result.err
    assert problems[0].startswith("article/announce/mastodon (mastodon, ")
    for line in problems:
        assert re.search(r"/mastodon \(mastodon, \d{3}/500\): \d{3} characters as Mastodon", line)
        assert line.endswith("over its limit of 500: shorten its template."), line
    assert sum("course:" in line for line in problems) == 4
    assert closing.startswith("Error: 5 posts need work before ")
    assert "article/announce/mastodon" in closing and "more)" not in closing
    assert "linkedin" not in result.err


@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_a_template_syntax_error_names_the_file_and_line(planned: Path, command: list[str]) -> None:
    line = append_line(planned.parent / ANNOUNCE, "{% if %}")
    result = refused_unchanged(planned, *command)
    assert_refused(result, "announce.mastodon.j2", f"line {line}", "syntax")


@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_an_undefined_variable_names_the_file_and_line(planned: Path, command: list[str]) -> None:
    template = planned.parent / ANNOUNCE
    lines = template.read_text(encoding="utf-8").split("\n")
    assert lines[4].startswith("📖 Parution"), "the shipped template changed; adjust this test"
    lines.insert(5, "{{ nonexistent_thing }}")  # line 6, inside the rendered body
    template.write_text("\n".join(lines), encoding="utf-8")
    result = refused_unchanged(planned, *command)
    assert_refused(result, "announce.mastodon.j2", "line 6", "nonexistent_thing", "undefined")


SANDBOX_ESCAPES = [
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", id="subclasses"),
    pytest.param("{{ article.__class__ }}", id="article-class"),
    pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler-globals"),
    pytest.param("{{ article.__class__.__mro__ }}", id="article-mro"),
]


def assert_no_python_internals(result: Result) -> None:
    both = result.out + result.err
    for leak in ("<class '", "<function ", "<module ", "__builtins__"):
        assert leak not in both, f"{leak!r} leaked: {both[:500]!r}"


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES)
@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_the_sandbox_refuses_python_internals(
    planned: Path, command: list[str], payload: str
) -> None:
    line = append_line(planned.parent / ANNOUNCE, payload)
    result = refused_unchanged(planned, *command)
    assert_refused(result, "announce.mastodon.j2", f"line {line}", "unsafe")
    assert_no_python_internals(result)


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES)
def test_the_sandbox_refuses_python_internals_in_add(planned: Path, payload: str) -> None:
    append_line(planned.parent / ANNOUNCE, payload)
    result = refused_unchanged(planned, "add", "mastodon", "--at", "+1d", "--template", "announce")
    assert_refused(result, "announce.mastodon.j2", "unsafe")
    assert_no_python_internals(result)


# 8-11, 15, 16: add ---------------------------------------------------------------------------


def test_add_to_an_unknown_channel_lists_the_known_ones(planned: Path) -> None:
    result = refused_unchanged(planned, "add", "myspace", "--at", "+1d", "--text", "Bonjour")
    assert_refused(result, "myspace", "mastodon", "linkedin")


@pytest.mark.parametrize("command", ["queue", "log"])
def test_filtering_on_an_unknown_channel_is_refused(planned: Path, command: str) -> None:
    result = refused_unchanged(planned, command, "--channel", "myspace")
    assert_refused(result, "myspace", "mastodon", "linkedin")


def test_add_in_the_past_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "2020-01-01T10:00", "--text", "Bonjour"
    )
    assert_refused(result, "Wed 1 Jan 2020, 10:00", "past")


def test_edit_into_the_past_is_refused(planned: Path) -> None:
    result = refused_unchanged(planned, "edit", "1", "--at", "2020-01-01T10:00")
    assert_refused(result, "Wed 1 Jan 2020, 10:00", "past")


@pytest.mark.parametrize("when", ["next tuesday", "2026-13-45", "+1y", ""])
def test_add_with_an_unparseable_time_is_refused(planned: Path, when: str) -> None:
    result = refused_unchanged(planned, "add", "mastodon", "--at", when, "--text", "Bonjour")
    assert_refused(result, repr(when), "not a time")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["plan", "--as-of", "next tuesday"], id="plan"),
        pytest.param(["log", "--since", "next tuesday"], id="log"),
        pytest.param(["edit", "1", "--at", "next tuesday"], id="edit"),
        pytest.param(["retry", "1", "--at", "next tuesday"], id="retry"),
    ],
)
def test_other_commands_refuse_an_unparseable_time(planned: Path, command: list[str]) -> None:
    assert_refused(refused_unchanged(planned, *command), "'next tuesday'", "not a time")


def test_a_wall_clock_time_skipped_by_dst_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "2027-03-28T02:30", "--text", "Bonjour"
    )
    assert_refused(result, "2027-03-28T02:30", "Europe/Paris", "does not exist")


@pytest.mark.parametrize(
    ("command", "value"),
    [
        pytest.param(["add", "mastodon", "--text", "Bonjour", "--at"], "+99999999d", id="add-far"),
        pytest.param(
            ["add", "mastodon", "--text", "Bonjour", "--at"],
            "9999-12-31T23:59-05:00",
            id="add-year-10000-utc",
        ),
        pytest.param(["edit", "1", "--at"], "+99999999d", id="edit-far"),
        pytest.param(["log", "--since"], "0001-01-01T00:00", id="log-year-0-utc"),
    ],
)
def test_a_time_out_of_range_is_refused_in_one_sentence(
    planned: Path, command: list[str], value: str
) -> None:
    result = refused_unchanged(planned, *command, value)
    assert_refused(result, value)
    assert "unexpected" not in result.err.lower()


@pytest.mark.parametrize(
    ("channel", "length", "fragments"),
    [
        ("mastodon", 501, ("501", "500", "Mastodon")),
        ("linkedin", 3001, ("3001", "3000", "LinkedIn")),
    ],
)
def test_a_text_too_long_for_its_network_is_refused(
    planned: Path, channel: str, length: int, fragments: tuple[str, ...]
) -> None:
    result = refused_unchanged(planned, "add", channel, "--at", "+1d", "--text", "a" * length)
    assert_refused(result, *fragments)


def test_an_edit_too_long_is_refused(planned: Path) -> None:
    result = refused_unchanged(planned, "edit", "1", "--text", "a" * 501)
    assert_refused(result, "501", "500")


def test_an_empty_text_is_refused(planned: Path) -> None:
    result = refused_unchanged(planned, "add", "mastodon", "--at", "+1d", "--text", "   ")
    assert_refused(result, "empty")


def test_text_and_template_together_are_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--text", "Bonjour", "--template", "announce"
    )
    assert_refused(result, "--text", "--template")


@pytest.mark.parametrize(
    ("channel", "length"),
    [("mastodon", 500), ("linkedin", 3000)],
)
def test_a_text_at_the_limit_is_accepted(planned: Path, channel: str, length: int) -> None:
    """Positive control for the length refusals: one character less goes in."""
    result = run("add", channel, "--at", "+1d", "--text", "a" * length)
    assert result.code == 0, result.err
    assert result.new_id in post_ids("--status", "scheduled")


def test_a_long_url_counts_as_23_characters_on_mastodon(planned: Path) -> None:
    """Positive control: 470 characters and a 200-character URL fit in Mastodon's 500."""
    url = "https://example.org/" + "p" * 180
    assert len(url) == 200
    text = "a" * 470 + " " + url  # raw length 671; 471 + 23 = 494 as Mastodon counts it
    result = run("add", "mastodon", "--at", "+1d", "--text", text)
    assert result.code == 0, result.err
    post_id = str(result.new_id)
    preview = run("preview", post_id)
    assert preview.code == 0, preview.err
    assert preview.out.strip() == text
    assert "494/500" in preview.err


@pytest.mark.parametrize(
    ("at", "expires"),
    [
        pytest.param("+3d", "+2d", id="expires-before-due"),
        pytest.param("+2d", "+54h", id="inside-safety-margin"),
        pytest.param("+1d", "2020-01-01T00:00", id="already-dead"),
    ],
)
def test_a_link_dead_when_due_is_refused(planned: Path, at: str, expires: str) -> None:
    result = refused_unchanged(
        planned,
        "add",
        "mastodon",
        "--at",
        at,
        "--text",
        "Lisez ceci",
        "--link",
        "https://example.org/offprint",
        "--link-expires",
        expires,
    )
    assert_refused(result, "link", "stops working")


def test_link_expires_without_link_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--text", "Bonjour", "--link-expires", "+3d"
    )
    assert_refused(result, "--link-expires", "--link")


def test_an_image_that_does_not_exist_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned,
        "add",
        "mastodon",
        "--at",
        "+1d",
        "--text",
        "Bonjour",
        "--image",
        "missing.png",
        "--alt",
        "Une couverture",
    )
    assert_refused(result, "missing.png", "does not exist")


@pytest.mark.parametrize("alt", [None, "", "   "])
def test_an_image_without_alt_text_is_refused(planned: Path, alt: str | None) -> None:
    image = planned.parent / "cover.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    extra = [] if alt is None else ["--alt", alt]
    result = refused_unchanged(
        planned,
        "add",
        "mastodon",
        "--at",
        "+1d",
        "--text",
        "Bonjour",
        "--image",
        str(image),
        *extra,
    )
    assert_refused(result, "alt")


def test_alt_text_without_an_image_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--text", "Bonjour", "--alt", "Une photo"
    )
    assert_refused(result, "--alt", "--image")


# A link card's image in config.toml: checked as `add --image` is, PNG, JPEG or GIF only.

CARD_TABLES = [
    pytest.param("[article]", r"^expires = 2026-04-16.*\n", id="article"),
    pytest.param("[[courses]] #2", r'^key = "comprendre"\n', id="course"),
]
CARD_BREAKAGES = [
    pytest.param(
        'image = "images/affiche.png"\n', ("image", "needs image_alt"), id="image-without-alt"
    ),
    pytest.param(
        'image = "images/missing.png"\nimage_alt = "Une affiche"\n',
        ("image", "missing.png", "does not exist"),
        id="image-missing",
    ),
    pytest.param(
        'image = "images/notes.png"\nimage_alt = "Une affiche"\n',
        ("image", "notes.png", "is not a PNG, JPEG or GIF image"),
        id="not-an-image",
    ),
    pytest.param(
        'image = "images/affiche.webp"\nimage_alt = "Une affiche"\n',
        ("image", "affiche.webp", "is not a PNG, JPEG or GIF image"),
        id="webp-linkedin-cannot-take",
    ),
    pytest.param('image_alt = "Une affiche"\n', ("image_alt", "add image"), id="alt-without-image"),
]


def card_files(project: Path) -> None:
    images = project / "images"
    images.mkdir()
    (images / "affiche.png").write_bytes(png())
    (images / "notes.png").write_text("pas une image", encoding="utf-8")
    (images / "affiche.webp").write_bytes(b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 16)


@pytest.mark.parametrize(("lines", "fragments"), CARD_BREAKAGES)
@pytest.mark.parametrize(("where", "pattern"), CARD_TABLES)
def test_check_refuses_a_bad_card_image(
    project: Path, where: str, pattern: str, lines: str, fragments: tuple[str, ...]
) -> None:
    card_files(project)
    replace_in(project / "config.toml", pattern, rf"\g<0>{lines}")
    result = run("check")
    assert_refused(result, f"config.toml: {where}", *fragments)


@pytest.mark.parametrize(("where", "pattern"), CARD_TABLES)
def test_check_accepts_a_card_image_with_its_alt_text(
    project: Path, where: str, pattern: str
) -> None:
    card_files(project)
    lines = 'image = "images/affiche.png"\nimage_alt = "L\'affiche de la campagne"\n'
    replace_in(project / "config.toml", pattern, rf"\g<0>{lines}")
    result = run("check")
    assert result.code == 0, result.err


def test_an_unknown_course_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--template", "promo", "--subject", "course:nope"
    )
    assert_refused(result, "nope", "ethique")


# 12, 17: ids and statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["approve", "999"], id="approve"),
        pytest.param(["show", "999"], id="show"),
        pytest.param(["show", "999", "--json"], id="show-json"),
        pytest.param(["cancel", "999"], id="cancel"),
        pytest.param(["edit", "999", "--text", "x"], id="edit"),
        pytest.param(["preview", "999"], id="preview"),
        pytest.param(["retry", "999"], id="retry"),
    ],
)
def test_an_unknown_post_id_is_named(planned: Path, command: list[str]) -> None:
    assert_refused(refused_unchanged(planned, *command), "no post with id 999")


@pytest.mark.parametrize("verb", ["approve", "cancel"])
def test_one_unknown_id_among_good_ones_changes_none_of_them(planned: Path, verb: str) -> None:
    """All or nothing: post 1 stays a draft when 999 in the same command is refused."""
    assert_refused(refused_unchanged(planned, verb, "1", "999"), "no post with id 999")
    assert 1 in post_ids("--status", "draft")


def test_approving_a_post_twice_is_refused_with_its_status(planned: Path) -> None:
    first = run("approve", "1")
    assert first.code == 0, first.err
    result = refused_unchanged(planned, "approve", "1")
    assert_refused(result, "post 1", "scheduled", "draft")


def test_cancelling_a_cancelled_post_is_refused_with_its_status(planned: Path) -> None:
    first = run("cancel", "1")
    assert first.code == 0, first.err
    result = refused_unchanged(planned, "cancel", "1")
    assert_refused(result, "post 1", "cancelled")


def test_editing_a_cancelled_post_is_refused_with_its_status(planned: Path) -> None:
    first = run("cancel", "1")
    assert first.code == 0, first.err
    result = refused_unchanged(planned, "edit", "1", "--text", "Un autre texte")
    assert_refused(result, "post 1", "cancelled")


# 13, 14: databases -------------------------------------------------------------------------


def test_a_sqlite_database_in_a_missing_folder_is_refused(project: Path) -> None:
    result = run("--db", "sqlite:////nonexistent/dir/x.db", "init")
    assert_refused(result, "/nonexistent/dir")
    assert not Path("/nonexistent").exists()
    assert database_files(project) == []


def test_a_database_url_that_is_not_a_url_is_refused(project: Path) -> None:
    result = run("--db", "not a url", "queue")
    assert_refused(result, "not one postsched can read")
    secret = run("--db", "postgresql://u:s3cret@h:badport/db", "queue")
    assert_refused(secret, "not one postsched can read")
    assert "s3cret" not in secret.err
    assert database_files(project) == []


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        pytest.param(
            "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
            ("Cannot open", "127.0.0.1"),
            id="postgres-nobody-listening",
        ),
        pytest.param("foo://bar", ("Cannot open", "foo://bar"), id="unknown-dialect"),
    ],
)
def test_a_database_that_cannot_be_reached_is_refused(
    project: Path, url: str, fragments: tuple[str, ...]
) -> None:
    assert_refused(run("--db", url, "queue"), *fragments)
    assert database_files(project) == []


def test_a_database_url_password_is_not_shown(project: Path) -> None:
    result = run("--db", "postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:1/nothing", "queue")
    assert_refused(result, "Cannot open")
    assert "s3cret-pw" not in result.err


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["queue"], id="queue"),
        pytest.param(["plan", "--as-of", AS_OF], id="plan"),
        pytest.param(["add", "mastodon", "--at", "+1d", "--text", "Bonjour"], id="add"),
        pytest.param(["approve", "--all"], id="approve"),
        pytest.param(["show", "1"], id="show"),
        pytest.param(["log"], id="log"),
        pytest.param(["status"], id="status"),
    ],
)
def test_a_command_before_init_says_to_run_init(project: Path, command: list[str]) -> None:
    assert_refused(run(*command), "postsched init")
    assert database_files(project) == []


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(project: Path) -> None:
    db = project / DB_NAME
    db.write_bytes(b"these are the officer's notes, not a database\n")
    for command in (["queue"], ["init"]):
        result = refused_unchanged(db, *command)
        assert_refused(result, "not a database")
    assert database_files(project) == [DB_NAME]


def test_a_refused_command_leaves_an_empty_database_file_empty(project: Path) -> None:
    db = project / DB_NAME
    db.touch()
    result = refused_unchanged(db, "queue")
    assert_refused(result, "postsched init")


# 18: -v, and usage errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["approve", "999"], id="not-found"),
        pytest.param(["add", "myspace", "--at", "+1d", "--text", "Bonjour"], id="unknown-channel"),
    ],
)
def test_verbose_shows_the_traceback_of_the_same_error(planned: Path, command: list[str]) -> None:
    quiet = refused_unchanged(planned, *command)
    assert_refused(quiet)
    loud = refused_unchanged(planned, "-v", *command)
    assert loud.code == 1
    assert loud.out == ""
    assert "Traceback (most recent call last)" in loud.err
    assert loud.err.splitlines()[-1] == quiet.err.strip()


def test_verbose_shows_the_traceback_of_a_template_error(planned: Path) -> None:
    append_line(planned.parent / ANNOUNCE, "{% if %}")
    loud = refused_unchanged(planned, "-v", "check")
    assert loud.code == 1
    assert "Traceback (most recent call last)" in loud.err
    assert loud.err.splitlines()[-1].startswith("Error: ")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["add"], id="add-no-arguments"),
        pytest.param(["add", "mastodon", "--text", "Bonjour"], id="add-no-at"),
        pytest.param(["approve"], id="approve-no-ids"),
        pytest.param(["approve", "1", "--all"], id="approve-ids-and-all"),
        pytest.param(["show", "one"], id="show-not-a-number"),
        pytest.param(["queue", "--status", "lost"], id="queue-unknown-status"),
        pytest.param(["nonsense"], id="unknown-command"),
    ],
)
def test_bad_usage_exits_2_and_changes_nothing(planned: Path, command: list[str]) -> None:
    result = refused_unchanged(planned, *command)
    assert result.code == 2, result
    assert "Usage:" in result.err or "Error:" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


@pytest.mark.parametrize("name", ["notes.png", "config.toml"])
def test_a_file_that_is_not_an_image_is_refused(planned: Path, name: str) -> None:
    path = planned.parent / name
    if not path.exists():
        path.write_text("not an image", encoding="utf-8")
    result = refused_unchanged(
        planned,
        *("add", "mastodon", "--at", "+1d", "--text", "Bonjour"),
        *("--image", str(path), "--alt", "Une couverture"),
    )
    assert_refused(result, name, "is not a PNG, JPEG, GIF or WebP image")


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "shs.cairn.info/x", "ftp://x.example/a", "https://a b"]
)
def test_a_link_that_is_not_a_web_address_is_refused(planned: Path, link: str) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--text", "Bonjour", "--link", link
    )
    assert_refused(result, "--link must be a web address")


@pytest.mark.parametrize("at", ["9999-12-31T23:59", "1900-01-01T00:00", "+99999999d"])
def test_a_time_outside_the_years_postsched_handles_is_refused(planned: Path, at: str) -> None:
    result = refused_unchanged(planned, "add", "mastodon", "--at", at, "--text", "Bonjour")
    assert_refused(result, "outside the range of times postsched handles")


def test_an_id_no_database_can_hold_is_no_post(planned: Path) -> None:
    result = refused_unchanged(planned, "show", "99999999999999999999")
    assert_refused(result, "There is no post with id 99999999999999999999")
    result = refused_unchanged(planned, "approve", "99999999999999999999")
    assert_refused(result, "There is no post with id 99999999999999999999")


def test_a_config_error_names_the_file_that_was_read(project: Path) -> None:
    text = (project / "config.toml").read_text()
    (project / "spring.toml").write_text(text.replace("max_per_day = 1 ", "max_per_day = 0 "))
    result = run("--config", "spring.toml", "check")
    assert_refused(result, "spring.toml: [campaign] max_per_day must be at least 1")
    assert "config.toml" not in result.err
    (project / "config.toml").write_text(text.replace("max_per_day = 1 ", "max_per_day = 0 "))
    assert_refused(run("check"), "config.toml: [campaign] max_per_day must be at least 1")
    (project / "spring.toml").write_text(text)
    valid = run("--config", "spring.toml", "check")
    assert valid.code == 0, valid.err
    assert "spring.toml is valid and all 24 posts render" in valid.out


def test_a_repeated_text_names_the_post_that_already_holds_it(planned: Path) -> None:
    first = run("add", "mastodon", "--at", "2027-03-01T09:30", "--text", "Une annonce")
    assert first.code == 0, first.err
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "2027-03-02T09:30", "--text", "Une annonce"
    )
    assert_refused(result, f"Channel mastodon already has post {first.new_id} with this exact")
    exported = planned.parent / "again.csv"
    exported.write_text(
        "channel,time,text\nmastodon,2027-03-03T09:30,Une annonce\n", encoding="utf-8"
    )
    imported = refused_unchanged(planned, "import", "--csv", str(exported))
    assert_refused(imported, "line 2", f"already has post {first.new_id}")
