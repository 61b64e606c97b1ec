"""Writes tests/fixtures/combat/: data with site effects, and neuroCombat's
harmonization of it in every mode, for rwid's ComBat agreement test.

Usage: python make_combat_fixtures.py OUTPUT_FOLDER
Needs neuroCombat==0.2.12 with numpy<1.24 (its reference-batch path calls
np.int, which NumPy 1.24 removed) and pandas.

Each data set is generated here from a fixed seed: batches of different
sizes with additive and multiplicative site effects, and covariates whose
effects ComBat must keep (categorical and continuous). Continuous
covariates are whole numbers or quarters, because neuroCombat casts them to
float32 and these survive that cast exactly. The features go to neuroCombat
as a float64 NumPy array (a DataFrame would be cast to float32).

Output per data set NAME: NAME_input.csv (sample, batch, covariates,
features) and NAME_MODE.csv (sample, harmonized features), values written
with 17 significant digits.
"""

import os
import sys

import numpy as np
import pandas as pd
from neuroCombat import neuroCombat

MODES = {
    "parametric": dict(eb=True, parametric=True, mean_only=False),
    "nonparametric": dict(eb=True, parametric=False, mean_only=False),
    "mean_only": dict(eb=True, parametric=True, mean_only=True),
    "no_eb": dict(eb=False, parametric=True, mean_only=False),
    "reference": dict(eb=True, parametric=True, mean_only=False),
}


def data_set(seed, sizes, n_features, categorical, continuous):
    rng = np.random.default_rng(seed)
    batches = [f"site_{chr(ord('A') + i)}" for i in range(len(sizes))]
    batch = np.repeat(batches, sizes)
    n = len(batch)
    covars = pd.DataFrame({"batch": batch})
    effects = np.zeros((n_features, n))
    for name, levels in categorical.items():
        values = rng.choice(levels, size=n)
        covars[name] = values
        per_level = rng.normal(0, 1.5, size=(n_features, len(levels)))
        effects += per_level[:, [levels.index(v) for v in values]]
    for name, (low, high, step) in continuous.items():
        values = np.round(rng.uniform(low, high, size=n) / step) * step
        covars[name] = values
        effects += np.outer(rng.normal(0, 0.05, size=n_features), values - values.mean())
    base = rng.normal(10, 3, size=(n_features, 1))
    shift = rng.normal(0, 2, size=(n_features, len(sizes)))
    scale = rng.uniform(0.5, 2.0, size=(n_features, len(sizes)))
    index = np.searchsorted(batches, batch)
    noise = rng.normal(0, 1, size=(n_features, n))
    dat = base + effects + shift[:, index] + scale[:, index] * noise
    return covars, dat


SETS = {
    # name: (seed, batch sizes, features, categorical levels, continuous (low, high, step))
    "balanced": (1, [20, 20, 20], 12, {"sex": ["F", "M"]}, {"age": (30, 80, 1)}),
    "unbalanced": (2, [5, 17, 40, 8], 20, {"sex": ["F", "M"], "diagnosis": ["AD", "CN", "MCI"]},
                   {"age": (50, 90, 1), "bmi": (18, 35, 0.25)}),
    "small": (3, [6, 6], 5, {}, {}),
}


def main(folder):
    os.makedirs(folder, exist_ok=True)
    for name, (seed, sizes, n_features, categorical, continuous) in SETS.items():
        covars, dat = data_set(seed, sizes, n_features, categorical, continuous)
        features = [f"f{g + 1}" for g in range(n_features)]
        frame = covars.copy()
        frame.insert(0, "sample", range(1, len(frame) + 1))
        for g, feature in enumerate(features):
            frame[feature] = dat[g]
        frame.to_csv(os.path.join(folder, f"{name}_input.csv"), index=False, float_format="%.17g")
        for mode, options in MODES.items():
            reference = "site_B" if mode == "reference" else None
            result = neuroCombat(dat=dat.copy(), covars=covars.copy(), batch_col="batch",
                                 categorical_cols=list(categorical) or None,
                                 continuous_cols=list(continuous) or None,
                                 ref_batch=reference, **options)
            out = pd.DataFrame(result["data"].T, columns=features)
            out.insert(0, "sample", range(1, len(out) + 1))
            out.to_csv(os.path.join(folder, f"{name}_{mode}.csv"), index=False, float_format="%.17g")


if __name__ == "__main__":
    main(sys.argv[1])
