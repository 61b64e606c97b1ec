"""Reference reading of SR measurement reports with highdicom, for
tests/highdicom_agreement.rs.

Usage: python highdicom_measurements.py FOLDER
Prints one JSON object per numeric measurement of every TID 1500 report in
FOLDER (files sorted by name), as highdicom's own parser reads them
(highdicom.sr.srread, MeasurementReport.get_planar_roi_measurement_groups),
and {"file": ..., "error": ...} for a file highdicom cannot read.
"""

import json
import os
import sys

import highdicom as hd


def main(folder):
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        try:
            sr = hd.sr.srread(path)
            report = sr.content
        except Exception as error:  # any failure to read is reported, not raised
            print(json.dumps({"file": name, "error": str(error)}))
            continue
        for number, group in enumerate(report.get_planar_roi_measurement_groups(), start=1):
            site = group.finding_sites[0].value if group.finding_sites else None
            for measurement in group.get_measurements():
                print(json.dumps({
                    "file": name,
                    "sop_instance_uid": str(sr.SOPInstanceUID),
                    "group": number,
                    "tracking_identifier": group.tracking_identifier,
                    "tracking_uid": str(group.tracking_uid),
                    "finding_site_code": f"{site.scheme_designator}:{site.value}" if site else None,
                    "concept_code": f"{measurement.name.scheme_designator}:{measurement.name.value}",
                    "value": float(measurement.value),
                    "units": measurement.unit.value,
                    "referenced_sop_instance_uid": str(group.roi.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID),
                }))


if __name__ == "__main__":
    main(sys.argv[1])
