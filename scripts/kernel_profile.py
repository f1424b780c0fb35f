# Sums an Nsight Compute CSV by kernel name: total time, launches, share and, when the DRAM byte
# counters were collected, achieved GB/s; largest first. With a third argument (a regex), also lists
# each launch of the matching kernels (grid, block, us, MB moved, GB/s). Used with bench_train_step:
#   ncu --profile-from-start off --clock-control none --cache-control none --csv --metrics \
#       gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum .device/bin/bench_train_step ...
#   python3 scripts/kernel_profile.py k.csv [top] [launch-regex]
import csv
import re
import sys
from collections import defaultdict

TIME_US = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3, "second": 1e6}
BYTES = {"byte": 1.0, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "Tbyte": 1e12}


def read_launches(path):
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]
    launches = {}
    for row in csv.DictReader(lines):
        launch = launches.setdefault(row["ID"], {"name": row["Kernel Name"], "grid": row.get("Grid Size", ""),
                                                 "block": row.get("Block Size", ""), "us": 0.0, "bytes": None})
        metric, unit = row.get("Metric Name"), row.get("Metric Unit", "")
        value = float(row["Metric Value"].replace(",", ""))
        if metric == "gpu__time_duration.sum":
            launch["us"] = value * TIME_US.get(unit, 1e-3)
        elif metric in ("dram__bytes_read.sum", "dram__bytes_write.sum"):
            launch["bytes"] = (launch["bytes"] or 0.0) + value * BYTES.get(unit, 1.0)
    return list(launches.values())


def gbps(nbytes, us):
    """Achieved GB/s, or None where the bytes were not collected."""
    return nbytes / (us * 1e3) if nbytes is not None and us > 0 else None


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    pattern = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
    launches = read_launches(path)
    total, count, moved = defaultdict(float), defaultdict(int), {}
    for k in launches:
        total[k["name"]] += k["us"]
        count[k["name"]] += 1
        if k["bytes"] is not None:
            moved[k["name"]] = moved.get(k["name"], 0.0) + k["bytes"]
    grand = sum(total.values())
    print(f"{len(total)} kernels, {len(launches)} launches, {grand / 1e3:.3f} ms in all")
    for name, us in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
        rate = gbps(moved.get(name), us)
        rate = f" {rate:7.0f} GB/s" if rate is not None else ""
        print(f"{us / 1e3:9.3f} ms {100 * us / grand:5.1f}% {count[name]:6d}x{rate}  {name[:150]}")
    if pattern:
        print(f"\nlaunches matching {pattern.pattern!r} (grid, block, us, MB, GB/s):")
        for k in launches:
            if pattern.search(k["name"]):
                mb = k["bytes"] / 1e6 if k["bytes"] is not None else float("nan")
                rate = gbps(k["bytes"], k["us"])
                rate = float("nan") if rate is None else rate
                print(f"{k['grid']:>16} {k['block']:>12} {k['us']:9.1f} {mb:9.2f} {rate:7.0f}  {k['name'][:90]}")


if __name__ == "__main__":
    main()
