"""A model's inputs read from its published OpenAPI schema: flattened, and read once."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from providers.replicate import ReplicateVideo
from providers.replicate.schemas import InputSchema, ModelRef, forget_schemas
from tests.providers.fake_services import FakeServices
from tests.providers.replicate_models import CATALOG


def test_an_enum_cog_writes_as_a_component_reference_is_read_as_the_property_itself():
    schema = InputSchema.from_openapi(CATALOG["kwaivgi/kling-v2.1"].openapi())
    assert schema.properties["duration"] == {
        "enum": [5, 10],
        "type": "integer",
        "default": 5,
        "title": "Duration",
        "x-order": 3,
    }
    assert schema.required == {"prompt", "start_image"}
    assert schema.default("mode") == "standard"


@pytest.mark.parametrize("ref", ["kling-v2.1", "kwaivgi/kling-v2.1:NOTHEX", "/kling", "a/b:c0ffee"])
def test_a_model_is_named_owner_slash_name_with_an_optional_version(ref):
    with pytest.raises(
        ImproperlyConfigured, match="REPLICATE_VIDEO_MODEL must be owner/name or owner/name:version"
    ):
        ModelRef.parse(ref, setting="REPLICATE_VIDEO_MODEL")


def test_a_version_is_kept_apart_from_the_name():
    ref = ModelRef.parse("anotherjesse/zeroscope-v2-xl:9f747673945c", setting="X")
    assert (ref.name, ref.version, str(ref)) == ("anotherjesse/zeroscope-v2-xl", "9f747673945c", str(ref))


def test_the_schema_is_read_once_per_process(fake: FakeServices, settings):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    ReplicateVideo()
    ReplicateVideo()
    assert fake.schema_requests == ["kwaivgi/kling-v2.1"]


def test_a_schema_already_in_the_shared_cache_is_not_asked_for(fake: FakeServices, settings):
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    caches["replicate"].set("schema:kwaivgi/kling-v2.1", CATALOG["kwaivgi/kling-v2.1"].openapi())
    ReplicateVideo()
    assert fake.schema_requests == [], "the model is not even served: the cache answered"


def test_another_process_reads_the_schema_from_the_shared_cache(fake: FakeServices, settings):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    ReplicateVideo()
    forget_schemas()  # as a fresh process would start
    ReplicateVideo()
    assert fake.schema_requests == ["kwaivgi/kling-v2.1"]
    caches["replicate"].clear()
    forget_schemas()
    ReplicateVideo()
    assert fake.schema_requests == ["kwaivgi/kling-v2.1"] * 2, "read again once the cache has lost it"


def test_a_schema_cache_that_is_down_only_means_asking_the_api(fake: FakeServices, settings):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    nowhere = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    working = settings.CACHES
    settings.CACHES = {**working, "replicate": nowhere}
    ReplicateVideo()
    assert fake.schema_requests == ["kwaivgi/kling-v2.1"]
    settings.CACHES = working  # before the fake's teardown empties the cache
