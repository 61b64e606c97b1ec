"""Writes tests/fixtures/dicom/sr/: DICOM SR measurement reports (TID 1500)
as a radiologist's RECIST reads would produce them, written by highdicom.

Usage: python make_sr_fixtures.py OUTPUT_FOLDER   (needs highdicom 0.28, pydicom 3)

Two patients, a baseline and a follow-up report each; every lesion is a
TID 1410 planar ROI measurement group with a tracking identifier and UID
(stable across the two reports), a finding site, a long axis (non-nodal)
or a short axis (nodes) in mm, and the CT image it was measured on. Plus a
truncated copy of one report, which read_dicom_sr must report, not skip.
No patient data: every value is made up, UIDs and dates are fixed so the
output is the same on every run.
"""

import os
import sys

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sr.codedict import codes
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.10.1386.9"

# (patient, timepoint) -> study date and lesions: (tracking id, site, axis, mm)
REPORTS = {
    ("SR-P1", 0): ("20240105", [("T1", "lung", "long", 32.0), ("T2", "liver", "long", 21.5), ("N1", "node", "short", 17.0)]),
    ("SR-P1", 1): ("20240301", [("T1", "lung", "long", 20.0), ("T2", "liver", "long", 14.5), ("N1", "node", "short", 9.0)]),
    ("SR-P2", 0): ("20240110", [("T1", "lung", "long", 40.0)]),
    ("SR-P2", 1): ("20240306", [("T1", "lung", "long", 52.5)]),
}
SITES = {"lung": codes.SCT.Lung, "liver": codes.SCT.Liver, "node": codes.SCT.LymphNode}
AXES = {"long": codes.SCT.LongAxis, "short": codes.SCT.ShortAxis}


def uid(*parts):
    return ".".join([ROOT, *map(str, parts)])


def source_ct(patient_number, timepoint, date):
    """The CT image the lesions were measured on (not written; referenced)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = uid(patient_number, timepoint, 2, 1)
    ds.StudyInstanceUID = uid(patient_number, timepoint)
    ds.SeriesInstanceUID = uid(patient_number, timepoint, 2)
    ds.PatientID = f"SR-P{patient_number}"
    ds.PatientName = f"Fixture^SR{patient_number}"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.StudyID = str(timepoint + 1)
    ds.AccessionNumber = f"ACC{patient_number}{timepoint}"
    ds.StudyDate = date
    ds.StudyTime = "090000"
    ds.ReferringPhysicianName = "Referrer^A"
    ds.Modality = "CT"
    ds.FrameOfReferenceUID = uid(patient_number, 9)
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0, 0, 0]
    ds.PixelSpacing = [0.7, 0.7]
    ds.Rows = 512
    ds.Columns = 512
    return ds


def report(patient, timepoint, date, lesions):
    patient_number = int(patient[-1])
    image = source_ct(patient_number, timepoint, date)
    groups = []
    for lesion, (tracking_id, site, axis, mm) in enumerate(lesions):
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=np.array([[100.0 + 20 * lesion, 200.0], [100.0 + 20 * lesion + mm / 0.7, 200.0]]),
            source_image=hd.sr.SourceImageForRegion.from_source_image(image),
        )
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=uid(patient_number, 7, lesion + 1), identifier=tracking_id
                ),
                referenced_region=region,
                finding_type=codes.SCT.Lesion,
                finding_sites=[hd.sr.FindingSite(anatomic_location=SITES[site])],
                measurements=[hd.sr.Measurement(name=AXES[axis], value=mm, unit=codes.UCUM.Millimeter)],
            )
        )
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name="Reader^A"),
    )
    content = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=groups,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=[image],
        content=content,
        series_instance_uid=uid(patient_number, timepoint, 3),
        series_number=3,
        sop_instance_uid=uid(patient_number, timepoint, 3, 1),
        instance_number=1,
        manufacturer="rwid fixtures",
        is_complete=True,
        is_final=True,
    )
    # highdicom stamps the time of writing; fix it so the output is repeatable.
    for keyword in ("ContentDate", "SeriesDate", "InstanceCreationDate"):
        if keyword in sr:
            setattr(sr, keyword, date)
    for keyword in ("ContentTime", "SeriesTime", "InstanceCreationTime"):
        if keyword in sr:
            setattr(sr, keyword, "100000")
    for equipment in sr.get("ContributingEquipmentSequence", []):
        equipment.ContributionDateTime = f"{date}100000"
    return sr


def main(folder):
    os.makedirs(folder, exist_ok=True)
    for (patient, timepoint), (date, lesions) in REPORTS.items():
        sr = report(patient, timepoint, date, lesions)
        sr.save_as(os.path.join(folder, f"{patient}_tp{timepoint}.dcm"), enforce_file_format=True)
    whole = open(os.path.join(folder, "SR-P1_tp0.dcm"), "rb").read()
    with open(os.path.join(folder, "truncated.dcm"), "wb") as f:
        f.write(whole[: len(whole) * 2 // 3])


if __name__ == "__main__":
    main(sys.argv[1])
