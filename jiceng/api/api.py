from ninja import NinjaAPI

api = NinjaAPI(title="Jiceng API", version="1", urls_namespace="api")
