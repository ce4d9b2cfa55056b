"""Which URLs the server will fetch or post to. DNS is the process boundary faked here:
tests never depend on what a public name resolves to."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from toolbox import ssrf
from toolbox.ssrf import UnsafeURL, check_url


def resolving_to(monkeypatch, *addresses: str) -> None:
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)


def test_a_public_literal_address_is_accepted_and_pinned():
    target = check_url("https://93.184.215.14:8443/hook?x=1", allow_private=False)
    assert (target.host, target.port, target.address) == (
        "93.184.215.14",
        8443,
        ipaddress.ip_address("93.184.215.14"),
    )


def test_a_name_is_accepted_when_every_address_it_resolves_to_is_public(monkeypatch):
    resolving_to(monkeypatch, "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    target = check_url("http://hooks.example.com/in", allow_private=False)
    assert (target.port, str(target.address)) == (80, "93.184.215.14")


def test_a_name_with_any_private_address_is_refused(monkeypatch):
    # One public and one internal answer: a client may be sent to either.
    resolving_to(monkeypatch, "93.184.215.14", "10.0.0.7")
    with pytest.raises(UnsafeURL, match="not a public internet address"):
        check_url("http://mixed.example.com/", allow_private=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "is not a valid URL"),
        ("http://93.184.215.14:99999/", "is not a valid URL"),
        ("javascript:alert(1)", "must be an http or https URL"),
        ("http:///path-only", "has no host"),
        ("http://" + "a" * 300 + ".com/", "could not be resolved"),
        ("http://[fe80::1%25eth0]/", "could not be resolved"),
        ("http://[2002:a00:1::]/", "not a public internet address"),  # 6to4 of 10.0.0.1
        ("http://[64:ff9b::a9fe:a9fe]/", "not a public internet address"),  # NAT64 of 169.254.169.254
        ("http://198.18.0.1/", "not a public internet address"),  # benchmarking range
        ("http://255.255.255.255/", "not a public internet address"),
    ],
)
def test_it_refuses_with_a_reason(url, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url, allow_private=False)


def test_allowing_private_urls_skips_resolution_but_not_the_scheme(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("resolved a name although private URLs are allowed")

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", no_dns)
    assert check_url("http://intranet.local:8080/x", allow_private=True).address is None
    with pytest.raises(UnsafeURL):
        check_url("file:///etc/passwd", allow_private=True)
