app_name = "grid"
urlpatterns: list = []  # type: ignore[type-arg]
