"""Percentiles and the table the benchmarks print."""
import math


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values):
    """{"n", "p50", "p90", "p99", "max", "mean"} in the values' unit; None when empty."""
    if not values:
        return None
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


def table(rows, unit="ms", label_width=46):
    """rows: [(label, [values])]. Returns the printed lines."""
    head = f"{'':<{label_width}} {'n':>4} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  ({unit})"
    lines = [head]
    for label, values in rows:
        s = summary(values)
        if s is None:
            lines.append(f"{label:<{label_width}} {0:>4} {'-':>8} {'-':>8} {'-':>8} {'-':>8}")
            continue
        lines.append(
            f"{label:<{label_width}} {s['n']:>4} {s['p50']:>8.0f} {s['p90']:>8.0f} "
            f"{s['p99']:>8.0f} {s['max']:>8.0f}"
        )
    return lines
