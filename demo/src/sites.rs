//! The demo's imaging sites and their scanners, spelled the way real archives
//! spell them: one vendor under several names across scanner generations,
//! vendor-specific kernel names, and each site's own habits.

/// A scanner model as its DICOM headers describe it.
#[derive(Debug, Clone, Copy)]
pub struct Scanner {
    pub modality: &'static str,
    /// Manufacturer (0008,0070), exactly as written by the device.
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub software: &'static str,
    /// CT convolution kernels this model writes (empty for MR and PET).
    pub kernels: &'static [&'static str],
    /// MR field strength in tesla.
    pub field_strength: Option<f64>,
}

/// How a site identifies patients in its archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientIdStyle {
    /// PatientID is the enterprise identifier (`person_source_value`).
    Enterprise,
    /// PatientID is a local MRN; only `imaging.patient_link` connects it.
    LocalMrn,
}

/// How a site's EHR records smoking history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmokingRecord {
    /// A pack-years measurement (LOINC 8664-5).
    PackYears,
    /// Cigarettes per day and years smoked as two observations.
    CigarettesAndYears,
}

#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Short code used in paths and identifiers.
    pub code: &'static str,
    /// InstitutionName (0008,0080); some devices leave it empty.
    pub institution: &'static str,
    pub scanners: &'static [Scanner],
    pub patient_ids: PatientIdStyle,
    pub smoking: SmokingRecord,
    /// Whether the archive export names files `*.dcm` (many do not).
    pub dcm_extension: bool,
    /// Transfer syntax of this site's files.
    pub transfer_syntax: &'static str,
    /// SpecificCharacterSet (0008,0005) the site's devices write.
    pub character_set: &'static str,
    /// StationName (0008,1010) prefix.
    pub station: &'static str,
}

const fn ct(
    manufacturer: &'static str,
    model: &'static str,
    software: &'static str,
    kernels: &'static [&'static str],
) -> Scanner {
    Scanner {
        modality: "CT",
        manufacturer,
        model,
        software,
        kernels,
        field_strength: None,
    }
}
const fn mr(
    manufacturer: &'static str,
    model: &'static str,
    software: &'static str,
    tesla: f64,
) -> Scanner {
    Scanner {
        modality: "MR",
        manufacturer,
        model,
        software,
        kernels: &[],
        field_strength: Some(tesla),
    }
}
const fn pt(manufacturer: &'static str, model: &'static str, software: &'static str) -> Scanner {
    Scanner {
        modality: "PT",
        manufacturer,
        model,
        software,
        kernels: &[],
        field_strength: None,
    }
}

pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";

pub const SITES: &[Site] = &[
    Site {
        code: "RUH",
        institution: "Riverside University Hospital",
        scanners: &[
            ct(
                "SIEMENS",
                "SOMATOM Definition AS+",
                "syngo CT VA48A",
                &["B30f", "B70f", "I30f 3"],
            ),
            ct(
                "Siemens Healthineers",
                "SOMATOM Force",
                "syngo CT VB20A",
                &["Br40d", "Bl57d", "Qr40d"],
            ),
            mr("SIEMENS", "MAGNETOM Skyra", "syngo MR E11", 3.0),
            pt("SIEMENS", "Biograph mCT", "VG60C"),
        ],
        patient_ids: PatientIdStyle::Enterprise,
        smoking: SmokingRecord::PackYears,
        dcm_extension: true,
        transfer_syntax: EXPLICIT_VR_LE,
        character_set: "ISO_IR 100",
        station: "RUHCT",
    },
    Site {
        code: "SMC",
        institution: "St. Mary's Medical Center",
        scanners: &[
            ct(
                "GE MEDICAL SYSTEMS",
                "LightSpeed VCT",
                "07MW18.4",
                &["STANDARD", "LUNG", "BONE"],
            ),
            ct(
                "GE MEDICAL SYSTEMS",
                "Revolution CT",
                "revo_ct_22bc.50",
                &["STANDARD", "LUNG", "SOFT"],
            ),
            mr("GE MEDICAL SYSTEMS", "DISCOVERY MR750", "DV26.0_R03", 3.0),
            pt("GE MEDICAL SYSTEMS", "Discovery MI", "pet_coreload.50"),
        ],
        patient_ids: PatientIdStyle::Enterprise,
        smoking: SmokingRecord::PackYears,
        dcm_extension: true,
        transfer_syntax: EXPLICIT_VR_LE,
        character_set: "ISO_IR 100",
        station: "SMCGE",
    },
    Site {
        code: "NCI",
        institution: "Northgate Cancer Institute",
        scanners: &[
            ct(
                "Philips Medical Systems",
                "iCT 256",
                "4.1.6",
                &["B", "C", "L", "YA"],
            ),
            ct("Philips", "Brilliance 64", "3.2.0", &["B", "C", "D"]),
            mr("Philips Medical Systems", "Ingenia", "5.4.1", 1.5),
            pt("Philips Medical Systems", "Ingenuity TF PET/CT", "4.0.1"),
        ],
        patient_ids: PatientIdStyle::Enterprise,
        smoking: SmokingRecord::PackYears,
        dcm_extension: true,
        transfer_syntax: EXPLICIT_VR_LE,
        character_set: "ISO_IR 192",
        station: "NGCI",
    },
    Site {
        code: "LRC",
        institution: "Lakeside Regional Clinic",
        scanners: &[
            ct(
                "TOSHIBA",
                "Aquilion ONE",
                "V6.00ER006",
                &["FC07", "FC51", "FC13"],
            ),
            ct(
                "Canon Medical Systems",
                "Aquilion Prime SP",
                "V10.4SP0001",
                &["FC08", "FC52", "FC18"],
            ),
            mr("Canon Medical Systems", "Vantage Orian", "V6.0", 1.5),
            pt("Canon Medical Systems", "Cartesion Prime", "V10.10"),
        ],
        patient_ids: PatientIdStyle::LocalMrn,
        smoking: SmokingRecord::CigarettesAndYears,
        dcm_extension: false,
        transfer_syntax: IMPLICIT_VR_LE,
        character_set: "ISO_IR 100",
        station: "LRC",
    },
];

impl Site {
    /// The site's scanners of one modality.
    pub fn scanners_for(&self, modality: &str) -> Vec<&'static Scanner> {
        let scanners: &'static [Scanner] = self.scanners;
        scanners.iter().filter(|s| s.modality == modality).collect()
    }
}
