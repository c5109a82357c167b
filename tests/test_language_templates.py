"""The web page speaks French: every page, rendered through Flask's test client over the shipped
(French) campaign, shows its headings, buttons and labels in French, and none of the English
page's headings is left; with POSTSCHED_LANG=en the same pages speak English.

The page's language is chosen per request (scheduler/web/language.py), so one logged-in client
reads each page in both languages by changing $POSTSCHED_LANG between requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from posts.labels import event_label, status_label
from posts.language import speaking
from scheduler.app import App
from scheduler.web import create_app, hash_password
from tests.test_web import NOW, PASSWORD, log_in, text_of, token

# What a person reads as the page's headings, buttons and labels of fields.
HEADINGS = {"title", "h1", "h2", "th", "button", "legend", "summary", "label", "dt"}
# Words that are the same in both languages (or names): they may stay.
SAME = {"", "Image", "image", "phase", "mode", "actions", "interactions", "Import/export"}


class _Headings(HTMLParser):
    """The text of every heading-like element (its own text, not its fields' options; the
    reach chart, drawn in Python, is scheduler/web/chart.py's and tested with it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.open: list[list[str]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("select", "textarea", "datalist", "svg"):
            self.skip += 1
        if self.skip:
            return
        if tag in HEADINGS or (tag == "a" and ("class", "button") in attrs):
            self.open.append([tag])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("select", "textarea", "datalist", "svg"):
            self.skip -= 1
        if self.open and self.open[-1][0] == (tag if tag in HEADINGS else "a"):
            words = " ".join("".join(self.open.pop()[1:]).split())
            self.found.append(words)

    def handle_data(self, data: str) -> None:
        if self.open and not self.skip:
            self.open[-1].append(data)


def headings(page: str) -> set[str]:
    parser = _Headings()
    parser.feed(page)
    return {re.sub(r"\d+", "#", text) for text in parser.found}


@pytest.fixture
def officer_app(planned: Path) -> App:
    return App(config_path=planned.parent / "config.toml", clock=lambda: NOW)


@pytest.fixture
def client(officer_app: App, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # LinkedIn's connect needs the app's id and secret, nothing else, to draw its page.
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_ID", "78s808ujpe6lve")
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_SECRET", "WPL_AP1.secret-for-tests")
    web = create_app(officer_app, password_hash=hash_password(PASSWORD))
    return log_in(web.test_client())


def _get(path: str) -> Callable[[FlaskClient], str]:
    return lambda client: text_of(client.get(path))


def _post(path: str, data: dict[str, str]) -> Callable[[FlaskClient], str]:
    def read(client: FlaskClient) -> str:
        sent = {**data, "csrf_token": token(client, "/status")}
        return text_of(client.post(path, data=sent))

    return read


# page, how to read it, what it says in French, what it says in English
PAGES: list[tuple[str, Callable[[FlaskClient], str], list[str], list[str]]] = [
    (
        "calendar",
        _get("/"),
        ["<h1>Calendrier</h1>", "jour férié", 'aria-label="Calendrier de la campagne"'],
        ["<h1>Timeline</h1>", "public holiday", 'aria-label="Campaign calendar"'],
    ),
    (
        "queue",
        _get("/queue"),
        ["<h1>File d’attente</h1>", "Approuver les 24 brouillons", "<th>échéance</th>"],
        ["<h1>Queue</h1>", "Approve all 24 drafts", "<th>due</th>"],
    ),
    (
        "post",
        _get("/posts/1"),
        ["<h1>Publication 1 ", "<h2>Historique</h2>", "Enregistrer et approuver"],
        ["<h1>Post 1 ", "<h2>History</h2>", "Save and approve"],
    ),
    (
        "plan",
        _get("/plan"),
        ["<h1>Planification</h1>", "<th>dans la file</th>", "<td>oui</td>"],
        ["<h1>Plan</h1>", "<th>in the queue</th>", "<td>yes</td>"],
    ),
    (
        "log",
        _get("/log"),
        ["<h1>Journal des publications</h1>", ">Filtrer</button>", ">tout état</option>"],
        ["<h1>Post log</h1>", ">Filter</button>", ">any status</option>"],
    ),
    (
        "reach",
        _get("/reach"),
        ["<h1>Portée</h1>", "<h2>Publications</h2>", "Aucune publication parue pour l’instant."],
        ["<h1>Reach</h1>", "<h2>Posts</h2>", "No published post yet."],
    ),
    (
        "status",
        _get("/status"),
        ["<h1>État</h1>", "<h2>Démon</h2>", "Vérifier les jetons auprès de chaque réseau"],
        ["<h1>Status</h1>", "<h2>Daemon</h2>", "Verify the tokens with each network"],
    ),
    (
        "exchange",
        _get("/exchange"),
        ["<h1>Import et export</h1>", ">Importer</button>", "Calendrier (.ics)</a>\u00a0:"],
        ["<h1>Import and export</h1>", ">Import</button>", "Calendar (.ics)</a>:"],
    ),
    (
        "connect",
        _post("/connect/linkedin", {}),
        ["<h1>Connecter linkedin</h1>", "Continuer vers LinkedIn", "Rien n’est enregistré"],
        ["<h1>Connect linkedin</h1>", "Continue to LinkedIn", "Nothing is stored"],
    ),
    (
        "check",
        _get("/check"),
        ["<h1>Tous les modèles, rendus</h1>", "<th>modèle</th>", "restent dans leurs limites"],
        ["<h1>Every template, rendered</h1>", "<th>template</th>", "render within their"],
    ),
    (
        "new post",
        _get("/posts/new"),
        ["<h1>Nouvelle publication</h1>", "Programmer la publication", "Texte alternatif"],
        ["<h1>New post</h1>", "Queue the post", "Alt text (required with an image)"],
    ),
    (
        "cancel",
        _post("/cancel", {"one": "2"}),
        ["<h1>Annuler 1 publication\u00a0?</h1>", "Oui, annuler", "Les garder"],
        ["<h1>Cancel 1 post?</h1>", "Yes, cancel", "Keep them"],
    ),
]


def _in(language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if language == "campaign":  # no choice made: the shipped campaign's language, French
        monkeypatch.delenv("POSTSCHED_LANG", raising=False)
    else:
        monkeypatch.setenv("POSTSCHED_LANG", language)


@pytest.mark.parametrize("language", ["fr", "campaign"])
@pytest.mark.parametrize(("name", "read", "french", "english"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_speaks_french(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    name: str,
    read: Callable[[FlaskClient], str],
    french: list[str],
    english: list[str],
) -> None:
    _in("en", monkeypatch)
    english_page = read(client)
    _in(language, monkeypatch)
    page = read(client)
    assert '<html lang="fr">' in page
    for words in french:
        assert words in page, f"{name}: no {words!r}"
    for words in english:
        assert words not in page, f"{name}: {words!r} left in English"
    # Every heading, button and label of the English page is another in the French one.
    left = headings(english_page) & headings(page)
    assert left <= SAME, f"{name}: headings left in English: {sorted(left - SAME)}"
    # The navigation and the footer, on every page.
    assert ">File d’attente</a>" in page and ">Se déconnecter</button>" in page
    assert "<footer>Heures données dans le fuseau Europe/Paris.</footer>" in page


@pytest.mark.parametrize(("name", "read", "french", "english"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_speaks_english_when_asked(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    read: Callable[[FlaskClient], str],
    french: list[str],
    english: list[str],
) -> None:
    _in("en", monkeypatch)
    page = read(client)
    assert '<html lang="en">' in page
    for words in english:
        assert words in page, f"{name}: no {words!r}"
    for words in french:
        assert words not in page, f"{name}: {words!r} in the English page"
    assert ">Queue</a>" in page and "<footer>Times are in Europe/Paris.</footer>" in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_login_page_speaks_the_chosen_language(
    officer_app: App, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    _in(language, monkeypatch)
    web = create_app(officer_app, password_hash=hash_password(PASSWORD))
    page = text_of(web.test_client().get("/login"))
    if language == "fr":
        assert "<h1>Se connecter</h1>" in page and '<label for="password">Mot de passe' in page
        assert "Log in" not in page and "Password" not in page
    else:
        assert "<h1>Log in</h1>" in page and '<label for="password">Password' in page
        assert "Se connecter" not in page


def test_statuses_events_and_times_read_as_a_french_officer_reads_them(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored statuses and events are shown through their labels, instants in French, and a
    time field holds and asks for the French typed form, not the browser's."""
    _in("fr", monkeypatch)
    with speaking("fr"):
        draft, planned = status_label("draft"), event_label("planned")
    assert draft != "draft" and planned != "planned"
    queue = text_of(client.get("/queue"))
    assert f'<span class="badge s-draft">{draft}</span>' in queue
    assert f'name="status" value="draft" checked> {draft}</label>' in queue
    assert re.search(r">\w+\. \d{1,2}(?:er)? \w+\.? 2026, \d\d:\d\d<", queue), "no French date"
    post = text_of(client.get("/posts/1"))
    assert f"<td>{planned}</td>" in post
    field = re.search(
        r'<input type="text" id="at" name="at" value="([^"]*)" placeholder="([^"]*)"', post
    )
    assert field, "the due time is not a text field"
    value, placeholder = field.groups()
    assert re.fullmatch(r"\d\d/\d\d/2026 \d\d:\d\d", value), value
    assert placeholder and "T" not in placeholder
    log = text_of(client.get("/log"))
    assert f"<td>{planned}</td>" in log and '>Depuis <input type="text"' in log
    assert re.search(r"<p class=\"muted\">\d+ événements\.</p>", log)
    calendar = text_of(client.get("/"))
    assert f'<span class="chip-status"> · {draft}</span>' in calendar
    assert f'title="{draft}\u00a0: ' in calendar
