# Sums an Nsight Compute CSV (ncu --csv --metrics gpu__time_duration.sum) by kernel name: total time,
# launches and share, largest first. Used with bench_train_step (docs/PERFORMANCE.md):
#   ncu --profile-from-start off --clock-control none --cache-control none --csv \
#       --metrics gpu__time_duration.sum .device/bin/bench_train_step --benchmark_filter=... > k.csv
#   python3 scripts/kernel_profile.py k.csv [top]
import csv
import sys
from collections import defaultdict


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]
    total = defaultdict(float)
    count = defaultdict(int)
    unit_scale = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3, "second": 1e6}
    for row in csv.DictReader(lines):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        name = row["Kernel Name"]
        value = float(row["Metric Value"].replace(",", ""))
        total[name] += value * unit_scale.get(row.get("Metric Unit", "nsecond"), 1e-3)
        count[name] += 1
    grand = sum(total.values())
    print(f"{len(total)} kernels, {sum(count.values())} launches, {grand / 1e3:.3f} ms in all")
    for name, us in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{us / 1e3:9.3f} ms {100 * us / grand:5.1f}% {count[name]:6d}x  {name[:150]}")


if __name__ == "__main__":
    main()
