"""Query parameters of the generation list: filters and pages."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from generations.models import VideoGeneration, status_choices


class GenerationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=status_choices, help_text="Repeat for several.")
    created_after = django_filters.DateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date or date-time, inclusive."
    )
    created_before = django_filters.DateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601 date or date-time, exclusive."
    )

    class Meta:
        model = VideoGeneration
        fields = ["status", "created_after", "created_before"]

    def is_valid(self) -> bool:
        # django-filter reads `?created_after=` as no filter at all; a client that sent the
        # parameter meant something by it, so an empty value is an error, not a no-op.
        valid = super().is_valid()
        for name in self.filters:
            if "" in self.data.getlist(name):
                self.form.add_error(name, "May not be empty.")
                valid = False
        return valid


class GenerationPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        # DRF quietly ignores a page_size it cannot read; a client that sent one should know.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Must be a positive integer."]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (larger asks get {self.max_page_size})."
                )
        return parameters
