"""The project's URLs plus the bare baselines under /_bench/ (only with jiceng.bench.settings)."""

from django.urls import include, path

from jiceng.bench import baselines

urlpatterns = [
    path("_bench/tree/", baselines.tree),
    path("_bench/members/", baselines.members),
    path("_bench/decisions/", baselines.decisions),
    path("_bench/needs/", baselines.needs),
    path("_bench/cases/", baselines.cases),
    path("_bench/grids/", baselines.grids),
    path("_bench/grid-list/", baselines.grid_list),
    path("_bench/people/", baselines.people),
    path("_bench/ledger/", baselines.ledger),
    path("_bench/decisions/<int:pk>/", baselines.decision),
    path("_bench/counts/", baselines.counts),
    path("_bench/empty/", baselines.empty),
    path("", include("jiceng.urls")),
]
