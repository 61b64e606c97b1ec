//! Any bytes as the start of a DICOM file: parsing, reading every curated
//! attribute and writing DICOM JSON must not panic, hang, or allocate more
//! than the input's size.
#![no_main]

use dicom_dictionary_std::tags;
use libfuzzer_sys::fuzz_target;
use rwid_dicom::{CURATED, DicomHeader};

fuzz_target!(|data: &[u8]| {
    for complete in [true, false] {
        if let Ok(header) = DicomHeader::parse(data.to_vec(), tags::PIXEL_DATA, complete) {
            for attribute in CURATED {
                let _ = header.value(attribute);
            }
            let _ = header.to_dicom_json();
        }
    }
});
