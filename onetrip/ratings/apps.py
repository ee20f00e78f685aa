from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "onetrip.ratings"
    label = "ratings"
    verbose_name = "好差评"

    def ready(self) -> None:
        from onetrip.ratings import checks  # noqa: F401  (registers the settings check)
