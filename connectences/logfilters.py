"""Access logs without the secrets that travel in addresses.

Personal links carry their credential in the path (``/mon-cv/<signed token>``,
``/entreprise/suivi/<token>``, an import's random key...). The web server's access log
(werkzeug when developing, gunicorn in production) writes every requested path, so
without this filter those credentials would sit in the logs for anyone who reads them.
"""

from __future__ import annotations

import logging
import re

# A path segment that looks like a credential: a signed token (base64url parts joined by
# dots, its payload long or its signature long: a short payload such as {"d": 1} still
# carries a 27-character signature) or a long random key. Ordinary segments (refs,
# words, numbers) are far shorter.
_TOKEN = re.compile(
    r"(?<=/)[A-Za-z0-9_\-]{16,}(?:\.[A-Za-z0-9_\-]+)+"
    r"|(?<=/)[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\.[A-Za-z0-9_\-]{20,}"
    r"|(?<=/)[A-Za-z0-9_\-]{32,}"
)
MASK = "[jeton-masque]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    """``text`` with every token-like path segment replaced by a mask."""
    return _TOKEN.sub(MASK, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with its token-like path segments masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def register_log_filters() -> None:
    """Mask credentials in the access loggers (idempotent)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
