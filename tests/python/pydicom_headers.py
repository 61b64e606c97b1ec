"""Reference reading of DICOM headers with pydicom, for tests/pydicom_agreement.rs.

Usage: python pydicom_headers.py FOLDER [--json]
Prints one JSON object per file (sorted by path): the attributes rwid's
read_dicom also reads, as pydicom reads them with
dcmread(stop_before_pixels=True, force=True), with --json the whole header as
pydicom's DICOM JSON (to_json_dict) under "json", or {"path": ..., "error": ...}
when pydicom cannot read the file.
"""

import json
import os
import sys

import pydicom
from pydicom.multival import MultiValue

KEYWORDS = [
    "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID",
    "Modality", "Manufacturer", "ManufacturerModelName", "InstitutionName", "StudyDate",
    "BodyPartExamined", "StudyDescription", "SeriesNumber", "InstanceNumber", "PatientAge",
    "ImageType", "SliceThickness", "PixelSpacing", "ImagePositionPatient", "Rows", "Columns",
    "KVP", "ConvolutionKernel", "MagneticFieldStrength",
]


def plain(value):
    """pydicom values as JSON: multi-values as lists, numbers as numbers, text as text."""
    if isinstance(value, MultiValue):
        return [plain(v) for v in value]
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "real") and not isinstance(value, str):  # DSfloat, IS
        return float(value)
    return str(value)


def main(folder, with_json):
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if not name.startswith(".")
    )
    for path in paths:
        record = {"path": os.path.abspath(path)}
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            if "SOPInstanceUID" not in dataset:
                raise ValueError("no SOPInstanceUID")
            for keyword in KEYWORDS:
                if keyword in dataset:
                    value = dataset[keyword].value
                    record[keyword] = None if value is None else plain(value)
            if with_json:
                record["json"] = dataset.to_json_dict()
        except Exception as error:  # pydicom raises many kinds; all mean "not read"
            record = {"path": os.path.abspath(path), "error": type(error).__name__}
        sys.stdout.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], "--json" in sys.argv[2:])
