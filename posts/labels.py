"""What a person reads of a stored value: statuses and post-log events in the current
language ("draft" shows as « brouillon »). The stored values themselves never change."""

from __future__ import annotations

from posts.language import N_, gettext

STATUSES = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "publishing": N_("publishing"),
    "published": N_("published"),
    "failed": N_("failed"),
    "missed": N_("missed"),
    "expired": N_("expired"),
    "unknown": N_("unknown"),
    "cancelled": N_("cancelled"),
}

EVENTS = {
    **STATUSES,
    "planned": N_("planned"),
    "added": N_("added"),
    "edited": N_("edited"),
    "replanned": N_("replanned"),
    "approved": N_("approved"),
    "retry": N_("retry"),
    "retried": N_("retried"),
    "retrying": N_("retrying"),
    "reclaimed": N_("reclaimed"),
    "rate-limited": N_("rate-limited"),
    "paused": N_("paused"),
    "held": N_("held"),
    "confirmed": N_("confirmed"),
    "vanished": N_("vanished"),
    "unconfirmed": N_("unconfirmed"),
    "reach": N_("reach"),
    "link_dead": N_("link dead"),
    "link_unsure": N_("link unsure"),
}


def status_label(status: str) -> str:
    """A status as a person reads it in the current language."""
    return gettext(STATUSES[status]) if status in STATUSES else status


def event_label(event: str) -> str:
    """A post-log event as a person reads it in the current language."""
    return gettext(EVENTS[event]) if event in EVENTS else event
