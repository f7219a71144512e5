app_name = "needs"
urlpatterns: list = []  # type: ignore[type-arg]
