"""pandas' side of benches/recist_response.rs: the same RECIST 1.1 rules,
written the straightforward way an analyst would in pandas.

Usage: python recist_pandas.py LESIONS.parquet OUT_FOLDER
Writes OUT_FOLDER/timepoints.csv (person_id, day, overall) and
OUT_FOLDER/best.csv (person_id, bor) and prints the seconds spent (reading
the Parquet file included, as rwid's time includes its scan).
"""

import sys
import time

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
CONFIRM_DAYS, MIN_SD_DAYS, MAX_NE = 28, 42, 1
RANK = {"CR": 0, "PR": 1, "SD": 2, "NON-CR/NON-PD": 3, "PD": 4, "NE": 5}


def at_least(value, bound):
    return value >= bound - TOLERANCE * np.maximum(np.abs(bound), 1.0)


def at_most(value, bound):
    return value <= bound + TOLERANCE * np.maximum(np.abs(bound), 1.0)


def timepoints(lesions):
    lesions["size"] = np.where(lesions["is_nodal"], lesions["short_axis_mm"], lesions["longest_diameter_mm"])
    target = lesions[lesions["role"] == "target"]
    grouped = target.groupby(["person_id", "assessment_date"])
    tp = pd.DataFrame({
        # 0 when every target went unmeasured (then NE unless PD holds).
        "sum_mm": grouped["size"].sum(),
        "complete": grouped["size"].apply(lambda s: s.notna().all()),
    })
    non_nodal = target[~target["is_nodal"]].groupby(["person_id", "assessment_date"])["longest_diameter_mm"]
    tp["non_nodal_gone"] = non_nodal.apply(lambda s: (s == 0).all())
    nodal = target[target["is_nodal"]].groupby(["person_id", "assessment_date"])["short_axis_mm"]
    tp["nodes_small"] = nodal.apply(lambda s: (s < 10).all())
    tp["non_nodal_gone"] = tp["non_nodal_gone"].fillna(True).astype(bool)
    tp["nodes_small"] = tp["nodes_small"].fillna(True).astype(bool)

    def non_target(statuses):
        values = set(statuses.dropna())
        if "unequivocal_progression" in values:
            return "PD"
        if "present" in values:
            return "NON-CR/NON-PD"
        if "absent" in values:
            return "CR"
        return None

    everything = lesions.groupby(["person_id", "assessment_date"])
    tp = tp.join(everything["non_target_status"].apply(non_target).rename("non_target"), how="outer")
    tp = tp.join(everything["role"].apply(lambda r: (r == "new").any()).rename("new_lesion"), how="outer")
    tp = tp.reset_index().sort_values(["person_id", "assessment_date"])
    by_person = tp.groupby("person_id")
    tp["baseline_mm"] = by_person["sum_mm"].transform("first")
    tp["baseline_date"] = by_person["assessment_date"].transform("first")
    # The nadir counts only time points with every target measured.
    tp["complete_sum"] = tp["sum_mm"].where(tp["complete"].fillna(False).astype(bool))
    tp["nadir_mm"] = tp.groupby("person_id")["complete_sum"].transform(lambda s: s.cummin().ffill().shift(1))
    tp = tp[tp["assessment_date"] > tp["baseline_date"]].copy()

    c, n, b = tp["sum_mm"], tp["nadir_mm"], tp["baseline_mm"]
    cr = tp["non_nodal_gone"] & tp["nodes_small"] & tp["complete"]
    pd_ = at_least(c - n, 5.0) & at_least(c, 1.2 * n)
    target = np.select(
        [cr, pd_, ~tp["complete"], at_most(c, 0.7 * b)],
        ["CR", "PD", "NE", "PR"],
        default="SD",
    )
    target = np.where(c.isna() | n.isna() | b.isna(), None, target)
    nt = tp["non_target"]
    overall = np.select(
        [
            tp["new_lesion"] | (target == "PD") | (nt == "PD"),
            (target == "CR") & (nt.isna() | (nt == "CR")),
            target == "CR",
        ],
        ["PD", "CR", "PR"],
        default=target,
    )
    # Without target disease (Table 2) the non-target response stands.
    tp["overall"] = np.where(pd.isna(target) & (overall != "PD"), nt, overall)
    return tp


def best_response(days, responses, reference):
    # Time points without a response (no target measured) are skipped, as NULLs are in SQL.
    assessed = [(d, r) for d, r in zip(days, responses) if isinstance(r, str)]
    order = sorted(assessed, key=lambda x: (x[0], RANK[x[1]]))
    for i, (_, r) in enumerate(order):
        if r == "PD":
            order = order[: i + 1]
            break

    def windowed(day, r):
        return "NE" if r in ("SD", "NON-CR/NON-PD") and day < reference + MIN_SD_DAYS else r

    def confirmed(i):
        day, r = order[i]
        allowed = {"CR", "NE"} if r == "CR" else {"CR", "PR", "NE"}
        seen_cr, nes = False, 0
        for later_day, later in order[i + 1:]:
            confirms = later == "CR" if r == "CR" else later in ("CR", "PR") and not (seen_cr and later == "PR")
            if later_day >= day + CONFIRM_DAYS and confirms:
                return nes <= MAX_NE
            if later not in allowed or (seen_cr and later == "PR"):
                return False
            seen_cr |= later == "CR"
            nes += later == "NE"
        return False

    best = None
    for i, (day, r) in enumerate(order):
        counted = windowed(day, "SD") if r in ("CR", "PR") and not confirmed(i) else windowed(day, r)
        key = (RANK[counted], day)
        if best is None or key < best[0]:
            best = (key, counted)
    return None if best is None else best[1]


def main(parquet, out):
    started = time.perf_counter()
    lesions = pd.read_parquet(parquet)
    lesions["assessment_date"] = pd.to_datetime(lesions["assessment_date"])
    tp = timepoints(lesions)
    tp["day"] = (tp["assessment_date"] - pd.Timestamp("1970-01-01")).dt.days
    tp["reference"] = (tp["baseline_date"] - pd.Timestamp("1970-01-01")).dt.days
    best = {
        person: best_response(list(g["day"]), list(g["overall"]), g["reference"].iloc[0])
        for person, g in tp.groupby("person_id")
    }
    elapsed = time.perf_counter() - started
    tp[["person_id", "day", "overall"]].to_csv(f"{out}/timepoints.csv", index=False)
    pd.DataFrame({"person_id": list(best), "bor": list(best.values())}).to_csv(f"{out}/best.csv", index=False)
    print(elapsed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
