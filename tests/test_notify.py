"""Email to the officer, through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port, run

PASSWORD = "smtp-S3CRET-pass-4411"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    yield box, port
    controller.stop()


def configure(project: Path, port: int, *, user: bool = True) -> None:
    text = (project / "config.toml").read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    text += (
        "\n[notify]\n"
        'email_to = ["communication@hetis.fr"]\n'
        'email_from = "postsched@hetis.fr"\n'
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {port}\n"
    )
    if user:
        text += 'smtp_user = "postsched"\npassword_env = "POSTSCHED_SMTP_PASSWORD"\n'
    (project / "config.toml").write_text(text)


def test_an_expired_and_a_missed_post_are_emailed_in_one_message(
    project: Path, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = inbox
    configure(project, port)
    monkeypatch.setenv("POSTSCHED_SMTP_PASSWORD", PASSWORD)
    run("init")
    run("plan", "--as-of", "2026-01-05T08:00")
    run("approve", "--all")  # the campaign's dates are long past: expired and missed
    result = run("daemon", "--once")
    assert result.code == 0, result.err
    (message,) = box.messages
    assert message["Subject"] == "postsched: 24 posts need your attention"
    assert message["To"] == "communication@hetis.fr"
    body = message.get_payload()
    assert isinstance(body, str)
    assert body.count(": expired") == 12 and body.count(": missed") == 12
    assert "post 1 on mastodon: expired" in body
    assert PASSWORD not in body and PASSWORD not in result.err


def test_a_published_post_sends_nothing(
    project: Path, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = inbox
    configure(project, port, user=False)
    run("init")
    assert run("add", "mastodon", "--at", "now", "--text", "Tout va bien").code == 0
    assert run("daemon", "--once").code == 0
    assert box.messages == []


def test_a_mail_server_that_is_down_never_stops_the_daemon(
    project: Path, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, _ = inbox
    configure(project, free_port())  # nothing listens there
    monkeypatch.setenv("POSTSCHED_SMTP_PASSWORD", "wrong-password-77")
    run("init")
    run("add", "mastodon", "--at", "now", "--text", "Une annonce")
    run(
        "add",
        "linkedin",
        "--at",
        "now",
        "--link",
        "https://x.example/a",
        "--link-expires",
        "+13h",
        "--text",
        "Lien court",
    )
    import sqlite3

    with sqlite3.connect(project / "postsched.db") as db:  # make the link post expire
        db.execute("update posts set link_expires_at = '2020-01-01 00:00:00' where id = 2")
    result = run("daemon", "--once")
    assert result.code == 0
    assert "could not email communication@hetis.fr about 1 post" in result.err
    assert "wrong-password-77" not in result.err
    assert box.messages == []
    statuses = [
        p["status"]
        for p in __import__("json").loads(
            run("queue", "--status", "published", "--status", "expired", "--json").out
        )
    ]
    assert sorted(statuses) == ["expired", "published"]


def test_a_password_in_config_is_refused(project: Path) -> None:
    text = (project / "config.toml").read_text()
    (project / "config.toml").write_text(
        text + '\n[notify]\nemail_to = "a@b.fr"\npassword = "hunter2"\n'
    )
    result = run("check")
    assert result.code == 1
    assert "[notify] holds a 'password'" in result.err and "hunter2" not in result.err


def test_a_channel_paused_for_its_token_is_worth_an_email() -> None:
    from zoneinfo import ZoneInfo

    from posts.campaign import NotifySettings
    from posts.outcomes import Outcome
    from scheduler.notify import Notifier

    notifier = Notifier(NotifySettings(to=("a@b.fr",), sender="p@b.fr"), "c", ZoneInfo("UTC"))
    paused = Outcome(
        4,
        "linkedin",
        "scheduled",
        "paused",
        "channel linkedin paused: LinkedIn 401; renew the token in $X",
    )
    chosen = notifier.worth_telling([paused, Outcome(5, "linkedin", "published", "published", "")])
    assert chosen == [paused]
    message = notifier.message(chosen)
    assert message["Subject"] == (
        "postsched: post 4 on linkedin waits: channel paused (token refused)"
    )
    assert "renew the token in $X" in message.get_content()


def test_files_others_can_change_or_read_get_a_warning(project: Path) -> None:
    config = project / "config.toml"
    secrets = project / "secrets.env"
    secrets.write_text("POSTSCHED_MASTODON_TOKEN=x\n")
    config.write_text(
        config.read_text().replace("[daemon]\n", f'[daemon]\nenv_file = "{secrets}"\n')
    )
    config.chmod(0o644)
    secrets.chmod(0o600)
    quiet = run("check")
    assert quiet.code == 0 and "Warning" not in quiet.err
    config.chmod(0o666)
    secrets.chmod(0o644)
    loud = run("check")
    assert loud.code == 0
    assert "Warning: config.toml can be changed by other users" in loud.err
    assert "chmod go-w config.toml\n" in loud.err
    assert f"Warning: {secrets} holds the tokens and other users can read it" in loud.err
    assert "POSTSCHED_MASTODON_TOKEN=x" not in loud.err + loud.out
