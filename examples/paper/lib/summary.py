"""Mean and 95% confidence interval (Student's t) per group of a CSV.

usage: summary.py CSV GROUP_COLUMNS VALUE_COLUMNS   (comma-separated column names)
Prints CSV: the group columns, then per value column <col>_mean, <col>_ci95, <col>_n.
Empty cells (a part that did not happen, e.g. no P4 function moved) are left out."""
import csv
import math
import sys

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
       2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
       2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def mean_ci(values):
    n = len(values)
    if n == 0:
        return "", "", 0
    mean = sum(values) / n
    if n == 1:
        return mean, "", 1
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = T95[n - 2] if n - 1 <= len(T95) else 1.96
    return mean, t * sd / math.sqrt(n), n


def fmt(x):
    return "" if x == "" else "%.4f" % x


path, groups, columns = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
rows = list(csv.DictReader(open(path)))
order = []
by_group = {}
for row in rows:
    key = tuple(row[g] for g in groups)
    if key not in by_group:
        order.append(key)
        by_group[key] = []
    by_group[key].append(row)
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(groups + [f"{c}_{s}" for c in columns for s in ("mean", "ci95", "n")])
for key in order:
    cells = list(key)
    for c in columns:
        m, ci, n = mean_ci([float(r[c]) for r in by_group[key] if r[c] not in ("", None)])
        cells += [fmt(m), fmt(ci), n]
    out.writerow(cells)
