"""Writes tests/fixtures/dicom/encodings/: small CT headers in every encoding
read_dicom must read, the awkward ones pydicom reads too.

Usage: python make_encoding_fixtures.py OUTPUT_FOLDER   (needs pydicom 3)

The output is committed (tests/fixtures/dicom/encodings); re-run this script
to regenerate it. Regular encodings are written by pydicom; the malformed
ones (odd lengths, UN values, undefined-length private sequences, wrong VRs,
a data set in implicit VR behind an explicit transfer syntax) are encoded by
hand below, because no writer produces them on purpose. No patient data:
every value is made up.
"""

import os
import struct
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.10.1386.1"
STUDY = "1.2.826.0.1.3680043.10.1386.7.1"
SERIES = "1.2.826.0.1.3680043.10.1386.7.1.1"
LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
UNDEFINED = 0xFFFFFFFF


def dataset(number, patient):
    """A CT header with the attributes the tests compare."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = f"{SERIES}.{number}"
    ds.StudyDate = "20240301"
    ds.Modality = "CT"
    ds.Manufacturer = "SIEMENS"
    ds.ManufacturerModelName = "SOMATOM Force"
    ds.PatientID = patient
    ds.PatientAge = "061Y"
    ds.SliceThickness = "1.5"
    ds.KVP = "100"
    ds.ConvolutionKernel = ["Br40d", "3"]
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = SERIES
    ds.SeriesNumber = "3"
    ds.InstanceNumber = str(number)
    ds.PixelSpacing = ["0.5", "0.5"]
    ds.Rows = 2
    ds.Columns = 2
    return ds


def meta(ds, transfer_syntax):
    file_meta = FileMetaDataset()
    file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    file_meta.TransferSyntaxUID = transfer_syntax
    file_meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    return file_meta


def with_pydicom(path, ds, transfer_syntax):
    ds.file_meta = meta(ds, transfer_syntax)
    ds.save_as(path, enforce_file_format=True)


# Hand encoding, PS3.5 §7.1: tag, VR (explicit), length, value.
def element(tag, vr, value, explicit=True, length=None):
    group, number = tag >> 16, tag & 0xFFFF
    length = len(value) if length is None else length
    out = struct.pack("<HH", group, number)
    if not explicit:
        return out + struct.pack("<I", length) + value
    if vr in LONG_LENGTH_VRS:
        return out + vr + b"\0\0" + struct.pack("<I", length) + value
    return out + vr + struct.pack("<H", length) + value


def item(content, undefined=False):
    if undefined:
        return element(0xFFFEE000, None, content, explicit=False, length=UNDEFINED) + element(
            0xFFFEE00D, None, b"", explicit=False
        )
    return element(0xFFFEE000, None, content, explicit=False)


def sequence_end():
    return element(0xFFFEE0DD, None, b"", explicit=False)


def file_meta_bytes(sop_instance, transfer_syntax):
    def ui(tag, uid):
        value = uid.encode()
        if len(value) % 2:
            value += b"\0"
        return element(tag, b"UI", value)

    body = (
        element(0x00020001, b"OB", b"\0\1")
        + ui(0x00020002, CTImageStorage)
        + ui(0x00020003, sop_instance)
        + ui(0x00020010, transfer_syntax)
        + ui(0x00020012, IMPLEMENTATION_CLASS_UID)
    )
    return b"\0" * 128 + b"DICM" + element(0x00020000, b"UL", struct.pack("<I", len(body))) + body


def text(tag, vr, value, explicit=True, pad=True):
    value = value.encode("latin-1")
    if pad and len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    return element(tag, vr, value, explicit)


def common_elements(number, patient, explicit=True, skip=()):
    """The same attributes as dataset(), hand-encoded, in tag order."""
    sop = f"{SERIES}.{number}"
    parts = [
        (0x00080005, text(0x00080005, b"CS", "ISO_IR 100", explicit)),
        (0x00080008, text(0x00080008, b"CS", "ORIGINAL\\PRIMARY\\AXIAL", explicit)),
        (0x00080016, text(0x00080016, b"UI", CTImageStorage, explicit)),
        (0x00080018, text(0x00080018, b"UI", sop, explicit)),
        (0x00080020, text(0x00080020, b"DA", "20240301", explicit)),
        (0x00080060, text(0x00080060, b"CS", "CT", explicit)),
        (0x00080070, text(0x00080070, b"LO", "SIEMENS", explicit)),
        (0x00081090, text(0x00081090, b"LO", "SOMATOM Force", explicit)),
        (0x00100020, text(0x00100020, b"LO", patient, explicit)),
        (0x00101010, text(0x00101010, b"AS", "061Y", explicit)),
        (0x00180050, text(0x00180050, b"DS", "1.5", explicit)),
        (0x00180060, text(0x00180060, b"DS", "100", explicit)),
        (0x00181210, text(0x00181210, b"SH", "Br40d\\3", explicit)),
        (0x0020000D, text(0x0020000D, b"UI", STUDY, explicit)),
        (0x0020000E, text(0x0020000E, b"UI", SERIES, explicit)),
        (0x00200011, text(0x00200011, b"IS", "3", explicit)),
        (0x00200013, text(0x00200013, b"IS", str(number), explicit)),
        (0x00280010, element(0x00280010, b"US", struct.pack("<H", 2), explicit)),
        (0x00280011, element(0x00280011, b"US", struct.pack("<H", 2), explicit)),
        (0x00280030, text(0x00280030, b"DS", "0.5\\0.5", explicit)),
    ]
    return [(tag, data) for tag, data in parts if tag not in skip]


def assemble(parts):
    return b"".join(data for _, data in sorted(parts, key=lambda p: p[0]))


def by_hand(path, number, transfer_syntax, parts):
    sop = f"{SERIES}.{number}"
    with open(path, "wb") as f:
        f.write(file_meta_bytes(sop, transfer_syntax) + assemble(parts))


def main(out):
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        os.remove(os.path.join(out, name))

    # Written by pydicom.
    with_pydicom(f"{out}/explicit_little.dcm", dataset(1, "EXPLICIT"), ExplicitVRLittleEndian)
    with_pydicom(f"{out}/implicit_little.dcm", dataset(2, "IMPLICIT"), ImplicitVRLittleEndian)
    with_pydicom(f"{out}/explicit_big.dcm", dataset(3, "BIGENDIAN"), ExplicitVRBigEndian)
    with_pydicom(f"{out}/deflated.dcm", dataset(4, "DEFLATED"), DeflatedExplicitVRLittleEndian)
    with_sequence = dataset(5, "SEQUENCE")
    drug = Dataset()
    drug.Radiopharmaceutical = "Fluorodeoxyglucose"
    drug.RadionuclideTotalDose = "370000000"
    with_sequence.RadiopharmaceuticalInformationSequence = Sequence([drug])
    with_pydicom(f"{out}/sequence.dcm", with_sequence, ExplicitVRLittleEndian)
    # No preamble, no file meta: a bare implicit VR data set (pydicom: force=True).
    bare = dataset(6, "BARE")
    bare.save_as(f"{out}/bare_implicit", implicit_vr=True, little_endian=True)

    # Encoded by hand.
    # Odd value lengths, as some devices write them (PS3.5 §7.1.1 wants even).
    parts = common_elements(7, "ODDLENGTH", skip={0x00100020, 0x00180050})
    parts.append((0x00100020, text(0x00100020, b"LO", "ODDLENGTH", pad=False)))
    parts.append((0x00180050, text(0x00180050, b"DS", "1.5", pad=False)))
    by_hand(f"{out}/odd_lengths.dcm", 7, ExplicitVRLittleEndian, parts)

    # Standard attributes written with VR UN: read through the dictionary.
    parts = common_elements(8, "UNKNOWNVR", skip={0x00180050, 0x00280010, 0x00080020})
    parts.append((0x00080020, element(0x00080020, b"UN", b"20240301")))
    parts.append((0x00180050, element(0x00180050, b"UN", b"1.5 ")))
    parts.append((0x00280010, element(0x00280010, b"UN", struct.pack("<H", 2))))
    by_hand(f"{out}/un_values.dcm", 8, ExplicitVRLittleEndian, parts)

    # A private sequence of undefined length written as UN (its content is
    # implicit VR, PS3.5 §6.2.2) and a private SQ of defined length, before
    # the patient and image attributes.
    inner = element(0x00091002, None, b"42", explicit=False) + element(0x00091003, None, b"ABCD", explicit=False)
    private = (
        text(0x00090010, b"LO", "RWID TEST")
        + element(0x00091001, b"UN", b"", length=UNDEFINED)
        + item(inner, undefined=True)
        + item(inner)
        + sequence_end()
    )
    defined_item = item(text(0x00091011, b"LO", "inside"))
    private += element(0x00091010, b"SQ", defined_item)
    parts = common_elements(9, "PRIVATESEQ")
    parts.append((0x00090010, private))
    by_hand(f"{out}/private_sequence.dcm", 9, ExplicitVRLittleEndian, parts)

    # Wrong VRs: Rows as SS, InstanceNumber as DS, SliceThickness as LO.
    parts = common_elements(10, "WRONGVR", skip={0x00280010, 0x00200013, 0x00180050})
    parts.append((0x00180050, text(0x00180050, b"LO", "1.5")))
    parts.append((0x00200013, text(0x00200013, b"DS", "10")))
    parts.append((0x00280010, element(0x00280010, b"SS", struct.pack("<h", 2))))
    by_hand(f"{out}/wrong_vrs.dcm", 10, ExplicitVRLittleEndian, parts)

    # The file meta says explicit VR; the data set is implicit VR.
    parts = common_elements(11, "MISLABELLED", explicit=False)
    by_hand(f"{out}/implicit_behind_explicit.dcm", 11, ExplicitVRLittleEndian, parts)


if __name__ == "__main__":
    main(sys.argv[1])
