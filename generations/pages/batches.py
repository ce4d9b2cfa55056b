"""The batch pages: upload a CSV, then follow its items in one table (polled while any item
is queued or running), cancel the batch, retry its failed items, download its videos."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from generations import batches
from generations.api.batch_input import BatchInput, read_csv
from generations.models import Batch
from generations.pages.views import POLL_INTERVAL_MS

MAX_CSV_BYTES = 2 * 1024 * 1024


class BatchUploadForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV file",
        help_text="A header row naming the fields (prompt, duration, aspect_ratio, voice, …), "
        "then one video per row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_csv_file(self) -> str:
        upload = self.cleaned_data["csv_file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file must be UTF-8 text.") from None


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    form = BatchUploadForm(request.POST or None, request.FILES or None)
    checked: BatchInput | None = None
    if request.method == "POST" and form.is_valid():
        checked = read_csv(form.cleaned_data["csv_file"])
        if checked.ok:
            batch = batches.batch_create(user=request.user, items=checked.items)
            return redirect("batch-detail", batch_id=batch.id)
    summaries = [batches.batch_summary(batch) for batch in _own_batches(request)[:20]]
    context = {"form": form, "checked": checked, "summaries": summaries}
    failed = request.method == "POST" and (not form.is_valid() or (checked is not None and not checked.ok))
    return render(request, "generations/batches.html", context, status=400 if failed else 200)


@never_cache
@login_required
def batch_detail(request: HttpRequest, batch_id: str) -> HttpResponse:
    return render(request, "generations/batch.html", _context(_own_batch(request, batch_id)))


@never_cache
@login_required
def batch_table(request: HttpRequest, batch_id: str) -> HttpResponse:
    """The part of the batch page that changes, polled while the batch runs."""
    return render(request, "generations/_batch_table.html", _context(_own_batch(request, batch_id)))


@require_POST
@login_required
def batch_cancel(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = _own_batch(request, batch_id)
    batches.batch_cancel(batch_id=batch.id)
    messages.success(request, "Batch canceled: waiting items will not start; finished videos are kept.")
    return redirect("batch-detail", batch_id=batch.id)


@require_POST
@login_required
def batch_retry(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = _own_batch(request, batch_id)
    count = batches.batch_retry_failed(batch_id=batch.id)
    if count:
        messages.success(request, f"Retrying {count} failed item(s) from the step that failed.")
    else:
        messages.error(request, "No item of this batch has failed.")
    return redirect("batch-detail", batch_id=batch.id)


def _own_batches(request: HttpRequest) -> Any:
    return Batch.objects.filter(user=request.user).order_by("-created_at")


def _own_batch(request: HttpRequest, batch_id: str) -> Batch:
    # Another user's batch answers 404, exactly like one that does not exist.
    return get_object_or_404(_own_batches(request), id=batch_id)


def _context(batch: Batch) -> dict[str, Any]:
    summary = batches.batch_summary(batch)
    running = summary.status == "running"
    return {
        "summary": summary,
        "live_url": reverse("batch-table", args=[batch.id]) if running else None,
        "poll_interval_ms": POLL_INTERVAL_MS,
        "download_url": reverse("api:batch-download", args=[batch.id]),
    }
