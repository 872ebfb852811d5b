"""Which requests mlp-draw answers: its own page's, never another site's.

Listening on 127.0.0.1 keeps other machines out, not other web pages in the user's own
browser. A page on any site can re-point its own name at 127.0.0.1 (DNS rebinding); the
browser then takes this server for that site, and the page could read the first layer's
weights and the network's answers, or keep the CPU busy. Such a request always names the
other site in its Host header, so the server answers only the names it is reached by: the
one it listens on and, on a loopback address, 127.0.0.1, localhost and [::1], as
Jupyter's and webpack-dev-server's local servers do. The port does not decide, since
the attack keeps the port and changes the name. A POST from another origin (or from an
opaque one, `Origin: null`) is refused too; one without an Origin (curl, Python's urllib)
is not from a page at all. No answer carries CORS headers, so no other origin may read one.
"""

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
DEFAULT_PORTS = {"http": 80, "https": 443}
# A DNS name (letters, digits, hyphens, dots) or an IP address, without a port.
HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?", re.IGNORECASE)


def checked_host_name(name: str) -> str:
    """`name` as --allow-host takes it, lower case; a ValueError says what would be accepted."""
    bare = name.removeprefix("[").removesuffix("]")
    if is_ip_address(bare):
        return bare.lower()
    if ":" in name:
        raise ValueError(f"--allow-host {name!r}: give the name without a port; any port is answered")
    if not HOST_NAME.fullmatch(name):
        raise ValueError(
            f"--allow-host {name!r}: not a host name; "
            "expected a name such as draw.example.org, or an IP address"
        )
    return name.lower().removesuffix(".")


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def split_host(value: str, scheme: str = "http") -> tuple[str, int] | None:
    """("name", port) of a Host header's value or an origin's host, or None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname.removesuffix("."), port if port is not None else DEFAULT_PORTS[scheme]


class HostPolicy:
    """The Host names and Origins one server answers."""

    def __init__(self, listen: str, allowed: Iterable[str] = ()) -> None:
        self.allowed = {checked_host_name(name) for name in allowed}
        self.names = {listen.lower(), *self.allowed} - set(WILDCARDS)
        if listen in LOOPBACK_NAMES:
            self.names |= set(LOOPBACK_NAMES)
        # Listening on every address, it is reached by whichever one the user has; a
        # rebinding page's Host is always a name, so any IP address is safe to answer.
        self.any_ip_address = listen in WILDCARDS

    def host_name_refused(self, host: str | None) -> str | None:
        """None if a request with this Host header is answered, else the name to report."""
        if not host:
            return "(none)"
        found = split_host(host)
        if found is None:
            return host
        name, _ = found
        if name in self.names or (self.any_ip_address and is_ip_address(name)):
            return None
        return name

    def allows_origin(self, origin: str | None, host: str) -> bool:
        """A POST's Origin: none (not sent by a page), this very site, or a name --allow-host
        gave (behind a reverse proxy, the public name and port are the proxy's)."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
            return False  # "null" too: a sandboxed frame, a file, a redirect across sites
        found = split_host(parts.netloc, parts.scheme)
        if found is None:
            return False
        return found == split_host(host, parts.scheme) or found[0] in self.allowed
