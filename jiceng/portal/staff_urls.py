app_name = "portal_staff"
urlpatterns: list = []  # type: ignore[type-arg]
