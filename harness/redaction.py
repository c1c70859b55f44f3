"""Secrets never reach a file: URLs are recorded without their credentials."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Query parameters that carry credentials (api-key, api_key, key, token, access_token, sig, ...).
_SECRET_PARAMETER = re.compile(r"(key|token|secret|password|passwd|pwd|auth|sig|signature|credential)", re.I)


def redact_url(url: str) -> str:
    """The URL with any user:password@ and credential-like query values replaced by REDACTED."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return REDACTED  # not a URL we can take apart: record nothing of it
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{host}" + (f":{port}" if port else "")
        if ":" in host:  # IPv6 literal
            netloc = f"{REDACTED}@[{host}]" + (f":{port}" if port else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, REDACTED if _SECRET_PARAMETER.search(name) else value) for name, value in pairs]
        )
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))
