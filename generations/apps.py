from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generations"
    verbose_name = "Video generations"

    def ready(self) -> None:
        from generations import checks  # noqa: F401  (registers the start-up checks)
        from providers.registry import check_choices

        # Every process (web, worker, command) starts here: a provider chosen without its key
        # stops it now with a clear message, not the first generation that needs it.
        check_choices()
