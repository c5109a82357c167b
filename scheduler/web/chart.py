"""The Reach page's chart, drawn on the server as inline SVG: no script, no external file.

Top: each published post with figures as a dot, x its publication time, y its interactions,
coloured by channel (with a legend). Bottom: the interactions per phase as horizontal bars.
The SVG carries a <title>, a <desc> and an aria-label that say the same in words, and scales
to its container (viewBox, width 100%) so it reads on a phone. Colours are presentation
attributes, never style attributes (the page's CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape

from posts.language import clauses, ngettext, show_day
from posts.language import gettext as _
from posts.reach_report import PostReach, Total

# Colour-blind-safe (Okabe-Ito), darker shades first so dots read on white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
WIDTH = 800
LEFT, RIGHT, TOP = 56, 16, 44
PLOT_HEIGHT = 220
BAR_HEIGHT, BAR_GAP = 22, 8


def channel_colours(channels: Sequence[str]) -> dict[str, str]:
    """A colour per channel, in the order given (config order), cycling past the palette."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(channels)}


def plotted(posts: Sequence[PostReach]) -> list[PostReach]:
    """The posts drawn as dots: published, with figures."""
    return [p for p in posts if p.published_at is not None and p.counts]


def describe(posts: Sequence[PostReach], phases: Sequence[Total]) -> str:
    """The chart in one sentence, for a screen reader."""
    dots = plotted(posts)
    if not dots:
        return _("No published post has figures yet.")
    best = max(dots, key=lambda p: p.interactions)
    per_phase = clauses(f"{t.key} {t.interactions}" for t in phases)
    return ngettext(
        "{count} published post with figures, from 0 to {most} interactions "
        "(the most: post {id} on {channel}). Interactions per phase: {per_phase}. "
        "The table below gives every figure.",
        "{count} published posts with figures, from 0 to {most} interactions "
        "(the most: post {id} on {channel}). Interactions per phase: {per_phase}. "
        "The table below gives every figure.",
        len(dots),
    ).format(
        count=len(dots),
        most=best.interactions,
        id=best.id,
        channel=best.channel,
        per_phase=per_phase,
    )


def reach_svg(
    posts: Sequence[PostReach],
    phases: Sequence[Total],
    colours: dict[str, str],
    tz: tzinfo,
) -> str:
    """The whole chart as one <svg> element (text already escaped)."""
    dots = plotted(posts)
    colours = dict(colours)
    for post in dots:  # a channel no longer in config.toml still gets a colour
        colours.setdefault(post.channel, PALETTE[len(colours) % len(PALETTE)])
    bars_top = TOP + PLOT_HEIGHT + 60
    height = bars_top + 24 + max(len(phases), 1) * (BAR_HEIGHT + BAR_GAP) + 8
    label = describe(posts, phases)
    title = _("Reach: interactions of each post over time, and per phase")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" '
        'aria-describedby="chart-desc" font-family="system-ui, sans-serif" '
        'font-size="13">',  # untranslated: SVG markup
        f'<title id="chart-title">{escape(title)}</title>',  # untranslated: SVG markup
        f'<desc id="chart-desc">{escape(label)}</desc>',  # untranslated: SVG markup
    ]
    out += _legend(colours, [p.channel for p in dots])
    out += _scatter(dots, colours, tz)
    out += _bars(phases, bars_top)
    out.append("</svg>")
    return "\n".join(out)


def _legend(colours: dict[str, str], shown: Sequence[str]) -> list[str]:
    parts = ['<g class="legend">']
    x = LEFT
    for name, colour in colours.items():
        if name not in shown:
            continue
        parts.append(f'<circle cx="{x + 6}" cy="18" r="6" fill="{colour}"/>')  # untranslated: SVG
        parts.append(f'<text x="{x + 16}" y="22">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    parts.append("</g>")
    return parts


def _scatter(dots: Sequence[PostReach], colours: dict[str, str], tz: tzinfo) -> list[str]:
    bottom, right = TOP + PLOT_HEIGHT, WIDTH - RIGHT
    axis = escape(_("interactions"))
    parts = [
        '<g class="axes" stroke="#5b6570">',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        "</g>",
        f'<text x="12" y="{TOP - 8}" fill="#5b6570">{axis}</text>',
    ]
    if not dots:
        nothing = escape(_("No published post has figures yet."))
        parts.append(
            f'<text x="{LEFT + 12}" y="{TOP + PLOT_HEIGHT / 2}" fill="#5b6570">{nothing}</text>'
        )
        return parts
    times = [p.published_at.timestamp() for p in dots if p.published_at is not None]
    first, last = min(times), max(times)
    span = (last - first) or 1.0
    top_value = max(1, max(p.interactions for p in dots))

    def x_of(moment: datetime) -> float:
        if last == first:
            return (LEFT + right) / 2
        return LEFT + 12 + (moment.timestamp() - first) / span * (right - LEFT - 24)

    def y_of(value: int) -> float:
        return bottom - value / top_value * (PLOT_HEIGHT - 12)

    for value in sorted({0, top_value // 2, top_value}):
        y = y_of(value)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#d5dbe1"/>')
    start, end = (
        min(p.published_at for p in dots if p.published_at),
        max(p.published_at for p in dots if p.published_at),
    )
    parts.append(f'<text x="{LEFT}" y="{bottom + 18}">{_day(start, tz)}</text>')
    if end != start:
        parts.append(
            f'<text x="{right}" y="{bottom + 18}" text-anchor="end">{_day(end, tz)}</text>'
        )
    published = escape(_("published"))  # the time axis: when each post was published
    parts.append(
        f'<text x="{(LEFT + right) / 2}" y="{bottom + 36}" text-anchor="middle" '
        f'fill="#5b6570">{published}</text>'
    )
    parts.append('<g class="dots">')
    for post in dots:
        assert post.published_at is not None
        tip = _("post {id}, {channel}, {subject}, {phase}, {day}: {count} interactions").format(
            id=post.id,
            channel=post.channel,
            subject=post.subject,
            phase=post.phase,
            day=_day(post.published_at, tz),
            count=post.interactions,
        )
        parts.append(
            f'<circle class="dot" data-post="{post.id}" cx="{x_of(post.published_at):.1f}" '
            f'cy="{y_of(post.interactions):.1f}" r="6" fill="{colours[post.channel]}" '
            f'fill-opacity="0.85"><title>{escape(tip)}</title></circle>'  # untranslated: SVG
        )
    parts.append("</g>")
    return parts


def _bars(phases: Sequence[Total], top: int) -> list[str]:
    heading = escape(_("Interactions per phase"))
    parts = [
        f'<text x="12" y="{top}" font-weight="bold">{heading}</text>',
        '<g class="bars">',
    ]
    most = max([1, *(t.interactions for t in phases)])
    label_width = 150
    room = WIDTH - RIGHT - LEFT - label_width - 40
    for i, total in enumerate(phases):
        y = top + 14 + i * (BAR_HEIGHT + BAR_GAP)
        width = total.interactions / most * room
        x = LEFT + label_width
        parts.append(
            f'<text x="{x - 8}" y="{y + BAR_HEIGHT - 6}" text-anchor="end">{escape(total.key)}'
            "</text>"
        )
        tip = _("{phase}: {interactions}, {posts}").format(
            phase=total.key,
            interactions=ngettext(
                "{count} interaction", "{count} interactions", total.interactions
            ).format(count=total.interactions),
            posts=ngettext("{count} post", "{count} posts", total.posts).format(count=total.posts),
        )
        parts.append(
            f'<rect class="bar" data-phase="{escape(total.key)}" x="{x}" y="{y}" '
            f'width="{width:.1f}" height="{BAR_HEIGHT}" fill="#1f5fa8">'  # untranslated: SVG
            f"<title>{escape(tip)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + width + 6:.1f}" y="{y + BAR_HEIGHT - 6}">{total.interactions}</text>'
        )
    parts.append("</g>")
    return parts


def _day(moment: datetime, tz: tzinfo) -> str:
    return show_day(moment.astimezone(tz).date())
