"""Bluesky record keys (TIDs), and the one each post keeps for its whole life.

Bluesky has no idempotency key: a post is published exactly once by giving it its record key
before the first attempt and reading that record back before any retry. A post's key is its
`idempotency_key`, made once when the post is created: new keys begin with a TID (13
characters: microseconds since 1970 and a random clock id, base32-sortable), so the record key
is stored with the post from its creation and never changes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
# Where a key that predates TIDs places its record key's time: 2023-01-01, plus up to 51 days
# drawn from the key itself.
_LEGACY_EPOCH_US = 1_672_531_200_000_000


def encode(value: int) -> str:
    """A 63-bit number as a TID's 13 characters."""
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def make_tid(micros: int, clock_id: int) -> str:
    return encode(((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023))


def new_tid() -> str:
    return make_tid(time.time_ns() // 1000, secrets.randbits(10))


def new_key() -> str:
    """A post's idempotency key: a TID, then 19 random hex digits (32 characters in all)."""
    return new_tid() + secrets.token_hex(10)[:19]


def record_key(idempotency_key: str) -> str:
    """The Bluesky record key of the post that holds this idempotency key: its leading TID, or
    for a key made before keys began with one, a TID drawn from the key's own bits."""
    head = idempotency_key[:13]
    if TID.fullmatch(head):
        return head
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    return make_tid(_LEGACY_EPOCH_US + (digest >> 22), digest & 1023)
