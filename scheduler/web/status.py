"""The daemon's status (/status) like `postsched status`, and asking each network who its
live token posts as, like `postsched check --online` (its Connect buttons: connect.py)."""

from __future__ import annotations

from flask import Blueprint, render_template

from scheduler.app import App
from scheduler.overview import status_data


def status_pages(a: App) -> Blueprint:
    pages = Blueprint("status", __name__)

    @pages.get("/status")
    def page() -> str:
        return render_template("status.html", data=status_data(a), checks=None)

    @pages.post("/status")
    def check_online() -> str:
        """`check --online`: a POST, because it sends each live token to its network."""
        from scheduler.overview import token_checks

        return render_template(
            "status.html", data=status_data(a), checks=token_checks(a, show_path=False)
        )

    return pages
