"""The import benchmark's CPU bound: what two cores allow whatever the overlap."""

from jiceng.bench.import_bench import cpu_bound


def test_the_bound_is_set_by_the_busier_of_one_core_and_half_the_total() -> None:
    # PostgreSQL's backend alone on one core: 100k rows at 80 µs each take at least 8 s.
    assert cpu_bound("csv", 100_000, ours=2.0, pg=8.0).endswith("at most ≈ 12,500 rows/s")
    # Ours and PostgreSQL's together on two cores: (7 + 7) / 2 = 7 s at least.
    line = cpu_bound("xlsx", 100_000, ours=7.0, pg=7.0)
    assert line.startswith("- import .xlsx, CPU per row: ours 70 µs, PostgreSQL's backend 70 µs;")
    assert line.endswith("at most ≈ 14,286 rows/s")
