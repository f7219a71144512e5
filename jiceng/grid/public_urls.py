app_name = "grid_public"
urlpatterns: list = []  # type: ignore[type-arg]
