"""The caller's own account settings: the secret their webhook receivers verify with."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generations.webhook_secrets import webhook_secret_made_at, webhook_secret_rotate


class WebhookSecretStateSerializer(serializers.Serializer):
    exists = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        help_text="`whsec_` and base64: verify `webhook-signature` with it. Shown this once."
    )
    created_at = serializers.DateTimeField()


class WebhookSecretView(APIView):
    """Your webhook signing secret: whether you have one, and a new one on POST."""

    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Whether you have a webhook secret, and since when (never the secret itself)",
        responses={200: WebhookSecretStateSerializer},
    )
    def get(self, request: Request) -> Response:
        made_at = webhook_secret_made_at(user=request.user)
        return Response(
            WebhookSecretStateSerializer({"exists": made_at is not None, "created_at": made_at}).data
        )

    @extend_schema(
        summary="Make a new webhook secret, replacing the old one at once; shown only in this answer",
        request=None,
        responses={201: WebhookSecretSerializer},
    )
    def post(self, request: Request) -> Response:
        return Response(
            WebhookSecretSerializer(webhook_secret_rotate(user=request.user)).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )
