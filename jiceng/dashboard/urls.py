app_name = "dashboard"
urlpatterns: list = []  # type: ignore[type-arg]
