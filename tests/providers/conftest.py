"""Fixtures for the remote providers: the fake services on 127.0.0.1, and settings pointing
every capability at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.fake_services import (
    FakeServices,
    clear_providers,
    running_fake_services,
    use_fake_services,
)


@pytest.fixture(scope="session")
def fake_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServices]:
    with running_fake_services(tmp_path_factory.mktemp("fake-assets")) as fake:
        yield fake


@pytest.fixture
def fake(fake_services: FakeServices, settings) -> Iterator[FakeServices]:
    """The fake services, reset, with every capability remote and pointed at them."""
    fake_services.reset()
    use_fake_services(settings, fake_services)
    clear_providers()
    yield fake_services
    clear_providers()
