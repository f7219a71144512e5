app_name = "needs_public"
urlpatterns: list = []  # type: ignore[type-arg]
