"""Lists the Manufacturer values of Imaging Data Commons' series index, for
rwid's vendor-normalization test (tests/fixtures/harmonize/manufacturers.csv).

Usage: python idc_manufacturers.py > manufacturers_raw.csv
       (needs idc-index-data and duckdb from PyPI)

Prints manufacturer,series,modalities: every distinct non-NULL Manufacturer of
idc_index.parquet with its number of series and the modalities it appears
with. The expected vendor and kind in manufacturers.csv are labelled by hand
from these columns; the values themselves are public DICOM metadata.
"""

import csv
import os
import sys

import duckdb
import idc_index_data

index = os.path.join(os.path.dirname(idc_index_data.__file__), "idc_index.parquet")
rows = duckdb.sql(
    f"""SELECT Manufacturer, count(*) AS series,
               string_agg(DISTINCT Modality, ' ' ORDER BY Modality) AS modalities
        FROM '{index}' WHERE Manufacturer IS NOT NULL
        GROUP BY Manufacturer ORDER BY series DESC, Manufacturer"""
).fetchall()
writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(["manufacturer", "series", "modalities"])
writer.writerows(rows)
