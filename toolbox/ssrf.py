"""Refusing URLs that would make the server reach into its own network (SSRF).

Asset and webhook URLs come from users, and the server fetches or posts to them. A URL
is acceptable only when it is http(s) and every address its host resolves to is a public
one: loopback, private, link-local (which holds the cloud metadata service at
169.254.169.254), shared, multicast and reserved ranges are refused.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL is not an http(s) URL to a public internet address."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to, so nothing resolves the host again
    between the check and the connection (DNS rebinding)."""

    url: SplitResult
    host: str
    port: int
    address: IPAddress | None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that address: ::ffff:10.0.0.1
        # directly, 2002:a00:1:: through a 6to4 relay, 64:ff9b::a00:1 through NAT64.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


def check_url(url: str, *, allow_private: bool) -> Target:
    """Parse `url` and resolve its host. Raises UnsafeURL with a reason a user can act on.

    With `allow_private` any resolvable host is accepted (and `address` is None: connect by
    name), for installations whose assets or receivers live on a private network."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("is not a valid URL") from None
    if parts.scheme not in SCHEMES:
        raise UnsafeURL("must be an http or https URL")
    if not parts.hostname:
        raise UnsafeURL("has no host")
    host = parts.hostname
    port = port or SCHEMES[parts.scheme]
    if allow_private:
        return Target(url=parts, host=host, port=port, address=None)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        raise UnsafeURL(f"host {host!r} could not be resolved") from None
    # The scope of a link-local IPv6 address (fe80::1%eth0) is not part of the address.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses or not all(is_public(address) for address in addresses):
        raise UnsafeURL(f"host {host!r} is not a public internet address")
    return Target(url=parts, host=host, port=port, address=addresses[0])


def pinned(target: Target, headers: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url, headers, httpx extensions) that connect to the address that was checked rather
    than to whatever the name resolves to a moment later (DNS rebinding); the Host header
    and TLS SNI still carry the name."""
    url = target.url.geturl()
    if target.address is None:
        return url, headers, {}
    userinfo, _, host = target.url.netloc.rpartition("@")
    ip = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    netloc = f"{userinfo}@{ip}:{target.port}" if userinfo else f"{ip}:{target.port}"
    return (
        target.url._replace(netloc=netloc).geturl(),
        {**headers, "Host": host},
        {"sni_hostname": target.host},
    )
