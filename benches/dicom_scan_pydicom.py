"""The pydicom side of benches/dicom_scan.rs: read every file's header with
dcmread(stop_before_pixels=True) and look up the same attributes rwid's scan
returns, in one process. Prints the number of files read."""

import os
import sys

import pydicom

KEYWORDS = sys.argv[2].split(",")


def main(folder):
    read = 0
    for root, _, names in os.walk(folder):
        for name in names:
            dataset = pydicom.dcmread(os.path.join(root, name), stop_before_pixels=True)
            values = [dataset.get(keyword) for keyword in KEYWORDS]
            read += values[0] is not None
    print(read)


if __name__ == "__main__":
    main(sys.argv[1])
