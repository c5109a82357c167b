"""Several campaigns in one installation: one database, one set of channels, one daemon.

The shipped config.toml lists `campaigns/*.toml`; a second campaign file there is planned with
`plan --campaign NAME`, and two complete config files naming the same database work side by
side. Planning one campaign never touches another's posts.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from posts.outcomes import PostView
from posts.policy import TickRules, decide
from tests.conftest import run
from tests.factories import post_view

AS_OF = "2026-01-05T08:00"
SPRING = "printemps-2027"

SPRING_FILE = f"""
[campaign]
name = "{SPRING}"
timezone = "Europe/Paris"
language = "fr"
start = 2026-02-02
holidays = "FR"
review = true
max_per_day = 1
min_gap = "2h"
hashtags = ["travail social"]
templates = "../templates"

[campaign.windows]
weekdays = ["tue", "thu"]
times = ["10:00"]

[[courses]]
key = "ethique-printemps"
title = "Intelligence artificielle et travail social : enjeux éthiques (session de printemps)"
formats = ["inter"]
posts = 1

[[courses]]
key = "outils-printemps"
title = "Intelligence artificielle et travail social : outils et sécurité des données (printemps)"
formats = ["inter"]
posts = 1
"""


def spring(project: Path, text: str = SPRING_FILE, name: str = "printemps.toml") -> Path:
    folder = project / "campaigns"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(db: Path, campaign: str) -> list[tuple[object, ...]]:
    """Every column of every post of one campaign, and their events: what must not move."""
    with sqlite3.connect(db) as conn:
        posts = conn.execute(
            "SELECT * FROM posts WHERE campaign = ? ORDER BY id", (campaign,)
        ).fetchall()
        events = conn.execute(
            "SELECT events.* FROM events JOIN posts ON posts.id = events.post_id "
            "WHERE posts.campaign = ? ORDER BY events.id",
            (campaign,),
        ).fetchall()
    return posts + events


def queue(*args: str) -> list[dict[str, object]]:
    result = run("queue", "--json", *args)
    assert result.code == 0, result.err
    posts: list[dict[str, object]] = json.loads(result.out)
    return posts


def test_a_second_campaign_file_is_planned_beside_the_shipped_one(planned: Path) -> None:
    spring(planned.parent)
    before = rows(planned, "ia-travail-social-2026")
    result = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert "6 posts inserted as draft" in result.out  # two courses on three channels
    assert f"--campaign {SPRING}" in result.err  # how to review this campaign alone
    assert rows(planned, "ia-travail-social-2026") == before

    both = queue()
    assert {p["campaign"] for p in both} == {"ia-travail-social-2026", SPRING}
    assert len(both) == 30
    alone = queue("--campaign", SPRING)
    assert len(alone) == 6 and {p["campaign"] for p in alone} == {SPRING}
    assert {p["subject"] for p in alone} == {"course:ethique-printemps", "course:outils-printemps"}
    shipped = queue("--campaign", "ia-travail-social-2026")
    assert len(shipped) == 24
    # One max_per_day per channel across campaigns: the spring posts took other days.
    days = {(p["channel"], str(p["due_at"])[:10]) for p in shipped}
    assert not days & {(p["channel"], str(p["due_at"])[:10]) for p in alone}

    # Re-planning either campaign leaves the other's posts byte for byte.
    spring_rows = rows(planned, SPRING)
    again = run("plan", "--as-of", "2026-01-20T08:00")
    assert again.code == 0, again.err
    assert rows(planned, SPRING) == spring_rows
    shipped_rows = rows(planned, "ia-travail-social-2026")
    again = run("plan", "--campaign", SPRING, "--as-of", "2026-01-20T08:00")
    assert again.code == 0, again.err
    assert rows(planned, "ia-travail-social-2026") == shipped_rows

    # The table shows each post's campaign.
    table = run("queue")
    assert table.code == 0
    header = table.out.splitlines()[0].split()
    assert "campaign" in header
    assert any(SPRING in line for line in table.out.splitlines()[1:])


def test_approve_all_and_status_and_log_take_a_campaign(planned: Path) -> None:
    spring(planned.parent)
    assert run("plan", "--campaign", SPRING, "--as-of", AS_OF).code == 0
    approved = run("approve", "--all", "--campaign", SPRING)
    assert approved.code == 0, approved.err
    assert "6 posts approved" in approved.out
    assert {p["status"] for p in queue("--campaign", SPRING)} == {"scheduled"}
    assert {p["status"] for p in queue("--campaign", "ia-travail-social-2026")} == {"draft"}

    status = run("status", "--json", "--campaign", SPRING)
    assert status.code == 0, status.err
    data = json.loads(status.out)
    assert data["campaign"] == SPRING
    assert data["counts"]["scheduled"] == 6 and data["counts"]["draft"] == 0
    assert data["campaigns"] == ["ia-travail-social-2026", SPRING]
    everything = json.loads(run("status", "--json").out)
    assert everything["counts"]["draft"] == 24 and everything["counts"]["scheduled"] == 6

    log = run("log", "--json", "--campaign", SPRING)
    assert log.code == 0, log.err
    events = json.loads(log.out)
    assert {e["event"] for e in events} == {"planned", "approved"} and len(events) == 12
    ids = {p["id"] for p in queue("--campaign", SPRING)}
    assert {e["post_id"] for e in events} == ids


def test_export_takes_a_campaign(planned: Path) -> None:
    spring(planned.parent)
    assert run("plan", "--campaign", SPRING, "--as-of", AS_OF).code == 0
    target = planned.parent / "spring.ics"
    result = run("export", "--ics", str(target), "--campaign", SPRING)
    assert result.code == 0, result.err
    calendar = target.read_text(encoding="utf-8")
    assert calendar.count("BEGIN:VEVENT") == 6
    assert f"postsched: {SPRING}" in calendar


def test_two_complete_config_files_work_side_by_side(planned: Path) -> None:
    """A campaign kept as a whole config file of its own, naming the same database and
    channels, is planned with --config; each file reads the other's posts in the queue."""
    project = planned.parent
    shipped = (project / "config.toml").read_text(encoding="utf-8")
    other = shipped.replace('name = "ia-travail-social-2026"', 'name = "autre-campagne"')
    other = other.replace("start = 2026-01-12", "start = 2026-02-02")
    (project / "autre.toml").write_text(other, encoding="utf-8")
    before = rows(planned, "ia-travail-social-2026")

    result = run("--config", "autre.toml", "plan", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert rows(planned, "ia-travail-social-2026") == before
    through_other = run("--config", "autre.toml", "queue", "--json")
    through_shipped = run("queue", "--json")
    assert json.loads(through_other.out) == json.loads(through_shipped.out)
    assert {p["campaign"] for p in json.loads(through_shipped.out)} == {
        "ia-travail-social-2026",
        "autre-campagne",
    }
    alone = queue("--campaign", "autre-campagne")
    assert alone and {p["campaign"] for p in alone} == {"autre-campagne"}


def test_a_campaign_file_alone_says_how_to_plan_it(project: Path) -> None:
    path = spring(project)
    result = run("--config", str(path), "check")
    assert result.code == 1
    assert "plan --campaign NAME" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("queue", "--campaign", "nope"), "There is no campaign 'nope'"),
        (("log", "--campaign", "nope"), "There is no campaign 'nope'"),
        (("status", "--campaign", "nope"), "There is no campaign 'nope'"),
        (("plan", "--campaign", "nope"), "There is no campaign 'nope'"),
        (("approve", "--all", "--campaign", "nope"), "There is no campaign 'nope'"),
    ],
)
def test_an_unknown_campaign_is_refused_and_changes_nothing(
    planned: Path, args: tuple[str, ...], message: str
) -> None:
    spring(planned.parent)
    before = rows(planned, "ia-travail-social-2026")
    result = run(*args)
    assert result.code == 1
    assert message in result.err and SPRING in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert rows(planned, "ia-travail-social-2026") == before


def test_two_campaigns_with_one_name_are_refused(planned: Path) -> None:
    spring(planned.parent, SPRING_FILE.replace(SPRING, "ia-travail-social-2026"))
    result = run("plan", "--campaign", "ia-travail-social-2026", "--as-of", AS_OF)
    assert result.code == 1
    assert "both name their campaign 'ia-travail-social-2026'" in result.err
    assert "printemps.toml" in result.err


def test_a_campaign_file_may_not_name_another_database(planned: Path) -> None:
    spring(planned.parent, SPRING_FILE + '\n[database]\nurl = "sqlite:///ailleurs.db"\n')
    result = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert result.code == 1
    assert "another database" in result.err
    assert not (planned.parent / "ailleurs.db").exists()


def test_a_campaign_file_posts_on_the_channels_it_names(planned: Path) -> None:
    spring(planned.parent, SPRING_FILE + '\n[channels.linkedin]\ntype = "linkedin"\n')
    result = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert {p["channel"] for p in queue("--campaign", SPRING)} == {"linkedin"}
    spring(planned.parent, SPRING_FILE + '\n[channels.pixelfed]\ntype = "mastodon"\n')
    refused = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert refused.code == 1
    assert "not a channel of the installation" in refused.err


def test_the_daemon_holds_each_campaign_to_its_own_safety_margin() -> None:
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    rules = TickRules(safety_margin=timedelta(hours=12), margins={"court": timedelta(hours=1)})

    def post(campaign: str) -> PostView:
        return post_view(
            subject="course:x",
            phase="promo",
            body="Inscriptions",
            link="https://example.org/x",
            link_expires_at=now + timedelta(hours=3),
            due=now,
            campaign=campaign,
        )

    assert decide(post("court"), None, now=now, rules=rules).action == "claim"
    held = decide(post("long"), None, now=now, rules=rules)
    assert held.action == "expire"
    assert "12h" in held.reason or "12 h" in held.reason


def test_the_web_page_plans_filters_and_approves_one_campaign(planned: Path) -> None:
    from scheduler.app import App
    from scheduler.web import create_app, hash_password
    from tests.test_web import PASSWORD, log_in, post_form, text_of

    spring(planned.parent)
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    a = App(config_path=planned.parent / "config.toml", clock=lambda: now)
    web = create_app(a, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        log_in(client)
        page = text_of(client.get(f"/plan?campaign={SPRING}"))
        assert f"Save the plan of {SPRING}" in page
        assert "course:outils-printemps" in page and "course:ethique" + "<" not in page
        post_form(client, "/plan", {"campaign": SPRING, "as_of": ""})
        assert a.store.counts(SPRING) == {"draft": 6}

        queue_page = text_of(client.get(f"/queue?campaign={SPRING}"))
        assert f"Approve all 6 drafts of {SPRING}" in queue_page
        assert "ia-travail-social-2026" not in queue_page.split("<tbody>")[1]
        everything = text_of(client.get("/queue"))
        assert everything.count(f"<td>{SPRING}</td>") == 6
        assert everything.count("<td>ia-travail-social-2026</td>") == 24

        post_form(client, "/approve", {"all": "yes", "campaign": SPRING})
        assert a.store.counts(SPRING) == {"scheduled": 6}
        assert a.store.counts("ia-travail-social-2026") == {"draft": 24}


def test_the_spring_example_plans_each_course_only_before_its_deadline(planned: Path) -> None:
    """docs/examples/printemps-2027.toml, copied into campaigns/ as the README says."""
    import tomllib
    from datetime import date

    from tests.conftest import ROOT

    example = ROOT / "docs" / "examples" / "printemps-2027.toml"
    spring(planned.parent, example.read_text(encoding="utf-8"), "printemps-2027.toml")
    deadlines = {
        f"course:{c['key']}": c["expires"] for c in tomllib.loads(example.read_text())["courses"]
    }
    before = rows(planned, "ia-travail-social-2026")
    result = run("plan", "--campaign", "printemps-2027", "--as-of", "2026-11-30T12:00")
    assert result.code == 0, result.err
    posts = queue("--campaign", "printemps-2027")
    assert {p["subject"] for p in posts} == set(deadlines)
    assert len(posts) == 24  # four courses, twice each, on three channels
    paris = ZoneInfo("Europe/Paris")
    for post in posts:
        due = datetime.fromisoformat(str(post["due_at"])).astimezone(paris)
        deadline: date = deadlines[str(post["subject"])]
        assert due.date() < deadline or (due.date() == deadline and due.hour < 12), post
        assert post["link_expires_at"], "the daemon holds it to the deadline too"
        assert deadline.strftime("%Y") in str(post["body"])  # the text says until when
    assert rows(planned, "ia-travail-social-2026") == before
    shipped = {(p["channel"], p["due_at"]) for p in queue("--campaign", "ia-travail-social-2026")}
    assert not shipped & {(p["channel"], p["due_at"]) for p in posts}


def test_a_second_campaign_is_never_planned_into_a_slot_the_first_holds(planned: Path) -> None:
    """The shipped announce is on Mon 12 Jan 2026 09:30 on every channel; a spring course
    announced the same morning goes to a slot of its own, min_gap and max_per_day counting
    the other campaign's posts."""
    text = SPRING_FILE.replace("start = 2026-02-02", "start = 2026-01-12")
    text = text.replace('weekdays = ["tue", "thu"]', 'weekdays = ["mon", "tue"]')
    text = text.replace('times = ["10:00"]', 'times = ["09:30", "10:30"]')
    text = text.replace("max_per_day = 1", "max_per_day = 2")
    text = text.replace(
        "posts = 1\n\n[[courses]]",
        '\n[[courses.phases]]\nname = "announce"\nanchor = "start"\n\n[[courses]]',
        1,
    )
    spring(planned.parent, text)
    shipped = queue("--campaign", "ia-travail-social-2026")
    announce = {p["channel"]: p["due_at"] for p in shipped if p["phase"] == "announce"}
    assert set(announce.values()) == {"2026-01-12T09:30:00.000+01:00"}
    dry = run("plan", "--campaign", SPRING, "--as-of", AS_OF, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    result = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert result.code == 0, result.err
    ours = [p for p in queue("--campaign", SPRING) if p["phase"] == "announce"]
    assert len(ours) == 3  # one a channel
    for post in ours:
        due = datetime.fromisoformat(str(post["due_at"]))
        other = datetime.fromisoformat(str(announce[str(post["channel"])]))
        assert abs(due - other) >= timedelta(hours=2), post  # min_gap across campaigns
    # The dry run showed the same times the plan then saved.
    shown = {p["plan_key"]: p["due_at"] for p in json.loads(dry.out)}
    assert all(shown[p["plan_key"]] == p["due_at"] for p in queue("--campaign", SPRING))


def test_the_calendar_draws_every_campaign_and_each_subject_s_own_end(planned: Path) -> None:
    from scheduler.app import App
    from scheduler.web import create_app, hash_password
    from tests.conftest import ROOT
    from tests.test_web import PASSWORD, log_in, text_of

    example = ROOT / "docs" / "examples" / "printemps-2027.toml"
    spring(planned.parent, example.read_text(encoding="utf-8"), "printemps-2027.toml")
    assert run("plan", "--campaign", "printemps-2027", "--as-of", "2026-11-30T12:00").code == 0
    now = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    a = App(config_path=planned.parent / "config.toml", clock=lambda: now)
    web = create_app(a, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        log_in(client)
        page = text_of(client.get("/"))
    assert "ethique-2027: last day" in page  # 26 February 2027, its registration's end
    assert "outils-2027: last day" in page
    assert "printemps-2027" in page  # its posts say which campaign they belong to
    assert "2027" in page.split("<h1")[1][:4000]  # dates carry their year


def test_a_broken_campaign_file_never_stops_the_others(planned: Path) -> None:
    """The officer drafting the next campaign while cron runs the daemon: a mistake in the
    draft is a warning for the other campaigns' commands, and an error for `check` and for
    planning the draft itself."""
    spring(planned.parent, SPRING_FILE.replace("max_per_day = 1", "max_per_day = 0"))
    approved = run("approve", "--all")
    assert approved.code == 0, approved.err
    daemon = run("daemon", "--once")
    assert daemon.code == 0, daemon.err
    assert "Warning: printemps.toml:" in daemon.err and "left out" in daemon.err
    plan = run("plan", "--as-of", AS_OF)
    assert plan.code == 0 and "left out" in plan.err
    status = run("status", "--json")
    assert status.code == 0 and json.loads(status.out)["campaigns"] == ["ia-travail-social-2026"]

    check = run("check")
    assert check.code == 1 and "printemps.toml" in check.err
    assert len(check.err.strip().splitlines()) == 1
    own = run("plan", "--campaign", SPRING, "--as-of", AS_OF)
    assert own.code == 1
    assert f"There is no campaign '{SPRING}'" in own.err and "printemps.toml:" in own.err


def test_add_and_import_take_a_campaign_and_an_export_reads_back_with_its_drafts(
    planned: Path,
) -> None:
    from tests.conftest import ROOT

    example = ROOT / "docs" / "examples" / "printemps-2027.toml"
    spring(planned.parent, example.read_text(encoding="utf-8"), "printemps-2027.toml")
    refused = run(
        "add",
        "mastodon",
        "--at",
        "2027-02-02T10:00",
        "--template",
        "default",
        "--subject",
        "course:ethique-2027",
    )
    assert refused.code == 1 and "There is no course 'ethique-2027'" in refused.err
    added = run(
        "add",
        "mastodon",
        "--at",
        "2027-02-02T10:00",
        "--text",
        "Dernières places pour la session de mars : inscrivez-vous !",
        "--subject",
        "course:ethique-2027",
        "--campaign",
        "printemps-2027",
        "--json",
    )
    assert added.code == 0, added.err
    post = json.loads(added.out)
    assert post["campaign"] == "printemps-2027"
    assert post["link_expires_at"] == "2027-02-27T00:00:00.000+01:00"  # the course's deadline
    late = run(
        "add",
        "linkedin",
        "--at",
        "2027-03-02T10:00",
        "--template",
        "default",
        "--subject",
        "course:ethique-2027",
        "--campaign",
        "printemps-2027",
    )
    assert late.code == 1 and "Fri 26 Feb 2027, 12:00" in late.err  # held to the course's deadline

    assert run("plan", "--campaign", "printemps-2027", "--as-of", "2026-11-30T12:00").code == 0
    exported = planned.parent / "printemps.csv"
    assert run("export", "--csv", str(exported), "--campaign", "printemps-2027").code == 0
    fresh = planned.parent / "fresh.db"
    assert run("--db", f"sqlite:///{fresh}", "init").code == 0
    imported = run("--db", f"sqlite:///{fresh}", "import", "--csv", str(exported), "--json")
    assert imported.code == 0, imported.err
    back = json.loads(imported.out)
    assert len(back) == 25 and {p["campaign"] for p in back} == {"printemps-2027"}
    assert sorted(p["status"] for p in back).count("draft") == 24  # drafts stay drafts
    assert [p["status"] for p in back if p["body"] == post["body"]] == ["scheduled"]

    both = planned.parent / "both.csv"
    assert run("export", "--csv", str(both)).code == 0
    mixed = run("--db", f"sqlite:///{fresh}", "import", "--csv", str(both))
    assert mixed.code == 1 and "several campaigns" in mixed.err


def test_check_lists_the_problems_of_every_campaign(planned: Path) -> None:
    """The spring campaign shares the course templates: a course template too long is listed
    for both campaigns, each line naming its file, before one closing sentence."""
    spring(planned.parent)
    template = planned.parent / "templates/course/default.mastodon.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n" + "y" * 500 + "\n")
    result = run("check")
    assert result.code == 1
    *lines, closing = result.err.strip().splitlines()
    assert sum(line.startswith("config.toml: course:") for line in lines) == 4
    assert sum(line.startswith("printemps.toml: course:") for line in lines) == 2
    assert closing.startswith("Error: config.toml: 4 posts need work")
    assert "; printemps.toml: 2 posts need work" in closing


def test_a_deadline_key_is_refused_with_the_key_that_says_it(project: Path) -> None:
    config = project / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('key = "outils"', 'key = "outils"\ndeadline = 2026-03-01'))
    result = run("check")
    assert result.code == 1
    assert "'deadline' (did you mean 'expires'?)" in result.err
    assert "accepts:" in result.err and "expires" in result.err.split("accepts:")[1]


def test_a_campaign_file_cannot_change_the_installation_s_daemon(planned: Path) -> None:
    same = SPRING_FILE + '\n[daemon]\npoll = "30s"\ngrace = "2h"\n'
    spring(planned.parent, same)
    assert run("plan", "--campaign", SPRING, "--as-of", AS_OF, "--dry-run").code == 0
    spring(planned.parent, SPRING_FILE + '\n[daemon]\npoll = "5s"\n')
    result = run("check")
    assert result.code == 1
    assert "printemps.toml: [daemon] differs from the installation's" in result.err
