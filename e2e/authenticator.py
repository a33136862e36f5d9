"""An authenticator app for the tests: RFC 6238 codes from a secret the seed gave the staff member.

django-otp refuses a code whose time step was already used; two log-ins of
one person within 30 seconds therefore take the next step's code (inside the
device's tolerance of one step), and a third waits for the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import time

STEP_SECONDS = 30
DIGITS = 6
TOLERANCE_STEPS = 1  # django-otp's TOTPDevice default


def hotp(key: bytes, counter: int) -> str:
    """RFC 4226: HMAC-SHA1 of the counter, dynamically truncated to six digits."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**DIGITS:0{DIGITS}d}"


class Authenticator:
    def __init__(self) -> None:
        self.key_hex = secrets.token_hex(20)  # the secret, as the set-up page shows it in base32
        self._last_step = -1

    def code(self) -> str:
        step = max(_current_step(), self._last_step + 1)
        while step > _current_step() + TOLERANCE_STEPS:
            time.sleep(0.5)
        self._last_step = step
        return hotp(bytes.fromhex(self.key_hex), step)


def _current_step() -> int:
    return int(time.time()) // STEP_SECONDS
