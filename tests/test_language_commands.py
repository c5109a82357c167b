"""The command line speaks the officer's language: --help (click's own words included), usage
errors, `postsched demo`, the daemon's log and the notification emails in French with
POSTSCHED_LANG=fr, in English with POSTSCHED_LANG=en, and a language postsched does not speak
refused in one sentence."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from posts.language import speaking
from tests.conftest import ROOT, run
from tests.test_notify import Inbox, configure, inbox  # noqa: F401 (a fixture)

NB = "\u00a0"  # the French non-breaking space before : ; ? !


def test_the_group_help_speaks_french_with_clicks_own_words(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    result = run("--help")
    assert result.code == 0, result.err
    assert result.out.startswith(f"Utilisation{NB}: postsched [OPTIONS] COMMAND [ARGS]...")
    assert "Planifier, relire et publier une campagne de publications LinkedIn" in result.out
    assert "Afficher ce message et quitter." in result.out
    assert "Afficher la version et quitter." in result.out
    assert "Commandes:" in result.out
    assert "N’afficher que ce qui a été demandé." in result.out  # an option's help (N_)
    assert "Show this message and exit." not in result.out and "Usage:" not in result.out


def test_a_required_option_is_marked_in_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    result = run("add", "--help")
    assert result.code == 0, result.err
    assert "[obligatoire]" in " ".join(result.out.split()) and "[required]" not in result.out


def test_plan_help_speaks_french(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    result = run("plan", "--help")
    assert result.code == 0, result.err
    out = re.sub(r"[ \n]+", " ", result.out)  # click wraps the lines
    assert out.startswith(f"Utilisation{NB}: postsched plan [OPTIONS]")
    assert f"Calculer la campagne{NB}; sans --dry-run, ajouter les publications" in out
    assert f"Planifier comme s’il était TIME (par défaut{NB}: maintenant)." in out
    assert f"Afficher le plan{NB}; ne rien écrire." in out
    assert "Afficher ce message et quitter." in out
    assert "Plan as if it were TIME" not in out


def test_the_console_script_speaks_french_in_a_separate_process(project: Path) -> None:
    env = {**os.environ, "POSTSCHED_LANG": "fr", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "demo", "--help"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Utilisation{NB}: postsched demo [OPTIONS]")
    assert "Rejouer en accéléré la campagne fournie" in done.stdout
    assert "Travailler dans ce dossier et le garder" in done.stdout


def test_a_usage_error_speaks_french(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    unknown = run("plann")
    assert unknown.code == 2
    assert "Essayez « postsched --help » pour obtenir de l’aide." in unknown.err.replace(NB, " ")
    assert f"Erreur{NB}: Commande 'plann' inconnue. Vouliez-vous dire 'plan'{NB}?" in unknown.err
    option = run("plan", "--bogus")
    assert option.code == 2
    assert f"Erreur{NB}: Option '--bogus' inconnue." in option.err
    instance = run("connect", "mastodon", "--instance", "mastodon.social")
    assert instance.code == 1
    assert instance.err == (
        f"Erreur{NB}: --instance 'mastodon.social' doit être une adresse comme "
        "https://mastodon.social.\n"
    )


def test_the_demo_speaks_french_with_french_dates(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    result = run("demo")
    assert result.code == 0, result.err
    assert (
        f"24 publications{NB}: publiées 24, expirées 0, manquées 0, échouées 0{NB}; portant le "
        "lien du tiré à part et publiées après sa date limite (jeu. 16 avr. 2026, 12:00)"
        f"{NB}: 0." in result.out
    )
    assert "Campagne rejouée en " in result.err and " passages" in result.err
    assert "published after its deadline" not in result.out


def test_the_demo_and_help_speak_english_with_postsched_lang_en(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    help_text = run("--help").out
    assert help_text.startswith("Usage: postsched [OPTIONS] COMMAND [ARGS]...")
    assert "Show this message and exit." in help_text and "Utilisation" not in help_text
    plan_help = re.sub(r"[ \n]+", " ", run("plan", "--help").out)
    assert "Plan as if it were TIME (default: now)." in plan_help
    assert "Error: No such command 'plann'. Did you mean 'plan'?" in run("plann").err
    result = run("demo")
    assert result.code == 0, result.err
    assert (
        "24 posts: 24 published, 0 expired, 0 missed, 0 failed; 0 carrying the offprint link "
        "published after its deadline (Thu 16 Apr 2026, 12:00)." in result.out
    )
    assert "Replayed in " in result.err and " ticks; " in result.err


def test_init_and_check_speak_french(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    first = run("init")
    assert first.code == 0 and " créée (schéma " in first.out, first.err
    again = run("init")
    assert "est à jour (schéma" in again.out, again.err
    check = run("-q", "check")
    assert check.code == 0, check.err
    assert (
        "config.toml est valide et ses 24 publications s’affichent toutes dans leurs limites."
        in check.out
    )


def test_a_language_postsched_does_not_speak_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "de")
    for args in (("--help",), ("check",), ("plan", "--help")):
        result = run(*args)
        assert result.code == 1, args
        assert result.out == ""
        lines = result.err.splitlines()
        assert len(lines) == 1 and "POSTSCHED_LANG" in lines[0] and "'de'" in lines[0], lines
    # The refusal speaks the language chosen without it: the shipped campaign's French.
    assert run("check").err == (
        f"Erreur{NB}: POSTSCHED_LANG vaut 'de', une langue que postsched ne parle pas{NB}; "
        "donnez-lui l’une des valeurs en, fr, ou supprimez-la.\n"
    )
    (project / "config.toml").write_text(
        (project / "config.toml").read_text().replace('language = "fr"', 'language = "en"')
    )
    assert run("check").err == (
        "Error: POSTSCHED_LANG is 'de', a language postsched does not speak; set it to one of "
        "en, fr, or unset it.\n"
    )


def readable(message: Message) -> EmailMessage:
    """A message as received, its headers decoded (the French subject is encoded on the wire)."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _notify_all(project: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(project, port, user=False)
    assert run("init").code == 0
    run("plan", "--as-of", "2026-01-05T08:00")
    run("approve", "--all")  # the campaign's dates are long past: expired and missed


def test_a_notification_email_speaks_french(
    project: Path,
    inbox: tuple[Inbox, int],  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = inbox
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    _notify_all(project, port, monkeypatch)
    result = run("daemon", "--once")
    assert result.code == 0, result.err
    assert "24 publications traitées." in result.err
    (message,) = [readable(m) for m in box.messages]
    assert message["Subject"] == f"postsched{NB}: 24 publications demandent votre attention"
    body = message.get_content()
    assert f"Campagne ia-travail-social-2026{NB}: ces publications demandent" in body, body
    assert body.count("- publication ") == 24 and f"- publication 1 sur mastodon{NB}: " in body
    assert "Voyez `postsched show ID` pour l’historique complet" in body
    assert "need a person" not in body
    assert "courriel envoyé à communication@hetis.fr au sujet de 24 publications" in result.err


def test_a_notification_email_speaks_english_with_postsched_lang_en(
    project: Path,
    inbox: tuple[Inbox, int],  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = inbox
    _notify_all(project, port, monkeypatch)
    assert run("daemon", "--once").code == 0
    (message,) = [readable(m) for m in box.messages]
    assert message["Subject"] == "postsched: 24 posts need your attention"
    body = message.get_content()
    assert "these posts need a person." in body and "- post 1 on mastodon: expired" in body


def test_one_posts_subject_speaks_french() -> None:
    from zoneinfo import ZoneInfo

    from posts.campaign import NotifySettings
    from posts.outcomes import Outcome
    from scheduler.notify import Notifier

    notifier = Notifier(NotifySettings(to=("a@b.fr",), sender="p@b.fr"), "c", ZoneInfo("UTC"))
    failed = Outcome(4, "linkedin", "failed", "failed", "LinkedIn 500")
    with speaking("fr"):
        message = notifier.message([failed])
    assert message["Subject"] == f"postsched{NB}: publication 4 sur linkedin échouée"
    assert f"- publication 4 sur linkedin{NB}: " in message.get_content()
    assert "\n  LinkedIn 500\n" in message.get_content()


@pytest.mark.slow
def test_the_running_daemon_logs_in_french_from_its_scheduler_thread(project: Path) -> None:
    """The daemon's ticks run in APScheduler's thread: they still speak the chosen language."""
    text = (project / "config.toml").read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    (project / "config.toml").write_text(text)
    assert run("init").code == 0
    assert run("add", "mastodon", "--at", "now", "--text", "Bonjour à tous").code == 0
    env = {**os.environ, "POSTSCHED_LANG": "fr", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "daemon"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list((project / "outbox").rglob("*.json")):
            time.sleep(0.1)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "démon " in err and " démarré sur mastodon, linkedin" in err, err
    assert " publication 1 mastodon " in err, err  # said by the tick, in the scheduler's thread
    assert f"SIGTERM reçu{NB}: fin de la publication en cours, puis arrêt" in err, err
    assert " arrêté" in err and "stopped" not in err, err
