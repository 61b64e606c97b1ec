"""neuroCombat's side of benches/harmonization.rs: reads the samples from
Parquet, harmonizes them with parametric empirical Bayes (neuroCombat
0.2.12, features as a float64 NumPy array, batch, sex categorical, age
continuous), writes the harmonized features to Parquet for the comparison,
and prints the seconds from reading to harmonized (writing excluded), then
the seconds of the neuroCombat call alone (data already in memory).

Usage: python combat_neurocombat.py SAMPLES.parquet OUTPUT.parquet FEATURES
"""

import contextlib
import io
import sys
import time

import numpy as np
import pandas as pd
from neuroCombat import neuroCombat

samples, output, n_features = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
frame = pd.read_parquet(samples)
features = [f"f{g}" for g in range(1, n_features + 1)]
dat = frame[features].to_numpy(dtype=np.float64).T
covars = frame[["batch", "sex", "age"]].copy()
computing = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):  # neuroCombat prints its progress
    result = neuroCombat(dat=dat, covars=covars, batch_col="batch",
                         categorical_cols=["sex"], continuous_cols=["age"])
harmonized = result["data"]
done = time.perf_counter()
elapsed, computed = done - started, done - computing
pd.DataFrame(harmonized.T, columns=features).assign(sample=frame["sample"].to_numpy()).to_parquet(output)
print(f"{elapsed:.6f} {computed:.6f}")
