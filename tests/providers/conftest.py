"""Fixtures for the remote providers: the fake services on 127.0.0.1, and settings pointing
every capability at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.fake_services import (
    FakeServices,
    clear_providers,
    use_fake_services,
)


@pytest.fixture
def fake(fake_services: FakeServices, settings) -> Iterator[FakeServices]:
    """The fake services, reset, with every capability remote and pointed at them."""
    fake_services.reset()
    use_fake_services(settings, fake_services)
    clear_providers()
    yield fake_services
    clear_providers()
