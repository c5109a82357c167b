"""Email to the officer when something needs a person: a post failed, was missed or expired,
its outcome is unknown, it vanished after it was published, it was held because its link is
dead (or never answered in time), or a channel is paused because its token was refused.

One message per tick at most, listing every such outcome, so a bad hour does not flood the
inbox. The SMTP password comes from the environment variable `[notify] password_env` names;
a failure to send is logged and never stops the daemon.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from posts.campaign import NotifySettings
from posts.labels import event_label
from posts.language import N_, ngettext
from posts.language import gettext as _
from posts.outcomes import Outcome

log = logging.getLogger("postsched.notify")
# The subject of a message about one post, by its event.
SUBJECTS = {
    "failed": N_("postsched: post {id} on {channel} failed"),
    "missed": N_("postsched: post {id} on {channel} missed its time"),
    "expired": N_("postsched: post {id} on {channel} expired (its link died)"),
    "unknown": N_("postsched: post {id} on {channel} has an unknown outcome"),
    "paused": N_("postsched: post {id} on {channel} waits: channel paused (token refused)"),
    "vanished": N_("postsched: post {id} on {channel} vanished: published, but no longer there"),
    "link_dead": N_("postsched: post {id} on {channel} held: its link is dead or does not answer"),
}


class Notifier:
    def __init__(
        self,
        settings: NotifySettings,
        campaign: str,
        tz: ZoneInfo,
        environ: Mapping[str, str] | None = None,
    ):
        self.settings = settings
        self.campaign = campaign
        self.tz = tz
        environ = os.environ if environ is None else environ
        self._password = environ.get(settings.password_env, "") if settings.password_env else ""

    def worth_telling(self, outcomes: Iterable[Outcome]) -> list[Outcome]:
        return [o for o in outcomes if o.event in self.settings.events]

    def message(self, outcomes: list[Outcome]) -> EmailMessage:
        first = outcomes[0]
        if len(outcomes) == 1:
            subject = _(SUBJECTS[first.event]).format(id=first.post_id, channel=first.channel)
        else:
            subject = ngettext(
                "postsched: {count} post needs your attention",
                "postsched: {count} posts need your attention",
                len(outcomes),
            ).format(count=len(outcomes))
        lines = [
            _("Campaign {campaign}: these posts need a person.").format(campaign=self.campaign),
            "",
        ]
        for outcome in outcomes:
            lines.append(
                _("- post {id} on {channel}: {event}").format(
                    id=outcome.post_id, channel=outcome.channel, event=event_label(outcome.event)
                )
            )
            lines.append(f"  {outcome.detail}")
        lines += [
            "",
            _(
                "See `postsched show ID` for a post's whole story, `postsched retry ID "
                "--at TIME` to schedule it again, and `postsched status` for the channels."
            ),
        ]
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.settings.sender
        message["To"] = ", ".join(self.settings.to)
        message.set_content("\n".join(lines))
        return message

    def send(self, outcomes: Iterable[Outcome]) -> bool:
        """Mail the outcomes that need a person; True if a message went out."""
        chosen = self.worth_telling(outcomes)
        if not chosen:
            return False
        settings = self.settings
        try:
            if settings.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=settings.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            with smtp:
                if settings.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, self._password)
                smtp.send_message(self.message(chosen))
        except (OSError, smtplib.SMTPException) as exc:
            reason = str(exc).replace(self._password, "***") if self._password else str(exc)
            log.warning(
                ngettext(
                    "could not email {to} about {count} post: {reason}",
                    "could not email {to} about {count} posts: {reason}",
                    len(chosen),
                ).format(to=", ".join(settings.to), count=len(chosen), reason=reason)
            )
            return False
        log.info(
            ngettext(
                "emailed {to} about {count} post", "emailed {to} about {count} posts", len(chosen)
            ).format(to=", ".join(settings.to), count=len(chosen))
        )
        return True
