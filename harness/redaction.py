"""Secrets never reach a file: URLs are recorded without their credentials."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

REDACTED = "REDACTED"
_PATH_PARAMETER = re.compile(r";([^;/=]*)=[^;/]*")  # ;name=value in a path segment


def redact_url(url: str) -> str:
    """The URL with user:password@, every query value, every path parameter's value (`;name=value`)
    and the fragment replaced by REDACTED: only names are kept, whatever they are called (a list of
    secret-looking names always misses one: jwt=, code=, sas=...)."""
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
    path = _PATH_PARAMETER.sub(lambda found: f";{found.group(1)}={REDACTED}", parts.path)
    query = "&".join(f"{name}={REDACTED}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    fragment = REDACTED if parts.fragment else ""
    return urlunsplit(SplitResult(parts.scheme, netloc, path, query, fragment))
