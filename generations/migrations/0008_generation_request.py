"""Every request option in one JSON field, `request`; the narration and subtitle columns it
replaces are folded into it first. A batch item's options are that same JSON form."""

from django.db import migrations, models

OPTIONS = (
    "script",
    "narration",
    "voice",
    "language",
    "speech_rate",
    "subtitles",
    "burn_subtitles",
    "subtitle_style",
)


def fill_requests(apps, schema_editor):
    VideoGeneration = apps.get_model("generations", "VideoGeneration")
    for generation in VideoGeneration.objects.iterator(chunk_size=500):
        generation.request = {
            "prompt": generation.prompt,
            "duration": generation.duration,
            "aspect_ratio": generation.aspect_ratio,
            "template": generation.template,
            "seed": generation.seed,
            "assets": generation.uploaded_assets or [],
            "webhook_url": generation.webhook_url,
            "review": generation.review,
            **{name: getattr(generation, name) for name in OPTIONS},
        }
        generation.save(update_fields=["request"])


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0007_batches"),
    ]

    operations = [
        migrations.AddField(
            model_name="videogeneration",
            name="request",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(fill_requests, migrations.RunPython.noop),
        *(migrations.RemoveField(model_name="videogeneration", name=name) for name in OPTIONS),
        migrations.AlterField(
            model_name="batchitem",
            name="options",
            field=models.JSONField(help_text="The validated request: a GenerationRequest's JSON form."),
        ),
    ]
