"""The fake remote services for the product layer's tests, from the providers' own fixtures."""

from tests.providers.conftest import fake  # noqa: F401
