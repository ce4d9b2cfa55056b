"""/metrics: Prometheus's text format written by prometheus_client; the money spent and the
phase durations counted as they happen, so they only grow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from generations import services
from generations.models import PhaseRun
from phases.request import GenerationRequest

pytestmark = pytest.mark.django_db


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_speak_prometheus(alice, django_capture_on_commit_callbacks, queue):
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_create(
            user=alice, request=GenerationRequest(prompt="A quiet garden with flowers in spring", duration=5)
        )
    samples = scrape()
    assert samples[("videogen_generations", (("status", "queued"),))] == 1
    assert samples[("videogen_generations", (("status", "complete"),))] == 0
    assert samples[("videogen_queue_depth", ())] == 1
    assert samples[("videogen_workers", ())] == 0
    assert samples[("videogen_cost_usd_total", ())] == 0


def test_the_cost_counter_counts_ledger_lines_and_does_not_fall_when_generations_are_deleted(
    alice, django_capture_on_commit_callbacks, queue
):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A lighthouse on a cliff at dusk", duration=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        for usd in ("0.10", "0.0055", "-0.0300"):
            services.ledger_record(
                video_id=generation.id,
                phase="chunks",
                provider="replicate",
                model="m/v",
                units=Decimal(1),
                usd=Decimal(usd),
            )
    before = scrape()
    assert before[("videogen_cost_usd_total", ())] == pytest.approx(0.1055)
    assert before[("videogen_cost_credited_usd_total", ())] == pytest.approx(0.03), (
        "a settlement that found the estimate too high"
    )

    generation.delete()

    assert scrape() == before | {("videogen_generations", (("status", "queued"),)): 0}


def test_a_ledger_line_rolled_back_is_not_counted(alice, django_capture_on_commit_callbacks, queue):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A lighthouse on a cliff at dusk", duration=5)
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.ledger_record(
                video_id=generation.id,
                phase="plan",
                provider="openai",
                model="gpt",
                units=1,
                usd=Decimal("1"),
            )
            raise RuntimeError("the call failed before it was made")
    assert scrape()[("videogen_cost_usd_total", ())] == 0


def test_a_phase_that_succeeds_is_counted_in_the_duration_histogram_and_stays_counted(alice, work_queue):
    # The job that plans goes on to render the whole video: a draft.
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt="A lighthouse on a cliff at dusk", duration=5, resolution="240p"),
    )
    plan = generation.phase_runs.filter(phase="plan", status=PhaseRun.State.SUCCEEDED)
    work_queue(until=plan.exists)
    seconds = plan.get().duration_seconds

    samples = scrape()
    plan_label = (("phase", "plan"),)
    assert samples[("videogen_phase_duration_seconds_count", plan_label)] == 1
    assert samples[("videogen_phase_duration_seconds_sum", plan_label)] == pytest.approx(seconds)
    for bound in ("0.5", "5.0", "600.0", "+Inf"):
        counted = samples[("videogen_phase_duration_seconds_bucket", (("le", bound), *plan_label))]
        assert counted == (1 if bound == "+Inf" or seconds <= float(bound) else 0)

    generation.delete()

    after = scrape()
    assert after[("videogen_phase_duration_seconds_count", plan_label)] == 1, (
        "a histogram never falls, whatever is deleted"
    )


def test_metrics_can_require_a_token(settings):
    settings.METRICS_TOKEN = "s3cret"
    assert Client().get("/metrics").status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cret")
