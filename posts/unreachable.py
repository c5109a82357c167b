"""Why a server could not be reached, as a word kept in the post log or the link checks
(`refused`, `tls`, `cut`, `unresolved`, `network`) and as the clause a person reads.

The shell (scheduler/) turns a requests exception into the word (scheduler/http_failure.py);
the word is what is stored, so a log written in one language reads in another."""

from __future__ import annotations

from posts.language import gettext as _

REFUSED, TLS, CUT, UNRESOLVED, NETWORK = "refused", "tls", "cut", "unresolved", "network"


def unreachable_clause(kind: str) -> str:
    """The clause for a kind: "the connection was refused"; an unknown word as it is."""
    clauses = {
        REFUSED: _("the connection was refused: nothing answers at that address and port"),
        TLS: _("the secure connection (TLS) failed"),
        CUT: _("the connection was cut before an answer came"),
        UNRESOLVED: _("its name does not resolve: check the address, and this machine's network"),
        NETWORK: _("the network failed: check this machine's network"),
    }
    return clauses.get(kind, kind)
