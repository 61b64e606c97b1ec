//! `read_dicom` over fixture files written with dicom-object: encodings,
//! broken files, error modes, projection and limit.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use rwid::catalog::dicom::{DicomTableFactory, ReadDicom};
use rwid::demo::fixtures::DicomInstance;

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

fn text(tag: Tag, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

/// A CT instance with the attributes the tests read, and `extra`.
fn ct(
    sop_instance: &str,
    patient: &str,
    extra: Vec<DataElement<InMemDicomObject>>,
) -> DicomInstance {
    let mut instance = DicomInstance::new();
    instance
        .text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100")
        .texts(tags::IMAGE_TYPE, VR::CS, &["ORIGINAL", "PRIMARY", "AXIAL"])
        .text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE)
        .text(tags::SOP_INSTANCE_UID, VR::UI, sop_instance)
        .text(tags::STUDY_DATE, VR::DA, "20230115")
        .text(tags::STUDY_TIME, VR::TM, "073015.5")
        .text(tags::MODALITY, VR::CS, "CT")
        .text(tags::MANUFACTURER, VR::LO, "SIEMENS")
        .text(
            tags::INSTITUTIONAL_DEPARTMENT_NAME,
            VR::LO,
            "Radiologie Süd",
        )
        .text(tags::PATIENT_ID, VR::LO, patient)
        .text(tags::PATIENT_AGE, VR::AS, "065Y")
        .text(tags::BODY_PART_EXAMINED, VR::CS, "CHEST")
        .text(tags::SLICE_THICKNESS, VR::DS, "1.25")
        .text(tags::KVP, VR::DS, "120")
        .text(tags::CONVOLUTION_KERNEL, VR::SH, "B30f")
        .text(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4")
        .text(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.5")
        .text(tags::SERIES_NUMBER, VR::IS, "2")
        .text(tags::INSTANCE_NUMBER, VR::IS, " 7")
        .text(tags::PIXEL_SPACING, VR::DS, "0.703125\\0.703125")
        .unsigned(tags::ROWS, 4)
        .unsigned(tags::COLUMNS, 4)
        .pixels(tags::PIXEL_DATA, vec![0; 16]);
    for element in extra {
        instance.put(element);
    }
    instance
}

/// The fixture folder: good files in three encodings, one without preamble,
/// one whose standard attributes sit behind 300 KB of private data, and
/// broken files.
fn fixtures(root: &Path) {
    ct("1.1", "EXPLICIT", vec![])
        .write(&root.join("a/explicit.dcm"), EXPLICIT_LE)
        .unwrap();
    ct("1.2", "IMPLICIT", vec![])
        .write(&root.join("a/implicit"), IMPLICIT_LE)
        .unwrap();
    ct("1.3", "BIGENDIAN", vec![])
        .write(&root.join("b/big_endian.dcm"), EXPLICIT_BE)
        .unwrap();
    // Private data in group 0009 before the attributes in group 0010 and
    // later: the first ranged read is too short and must grow.
    let private = vec![
        text(Tag(0x0009, 0x0010), VR::LO, "RWID TEST"),
        DataElement::new(
            Tag(0x0009, 0x1001),
            VR::OB,
            PrimitiveValue::from(vec![7u8; 300_000]),
        ),
    ];
    ct("1.4", "LARGEPRIVATE", private)
        .write(&root.join("b/c/large_private.dcm"), EXPLICIT_LE)
        .unwrap();
    // No 128-byte preamble: the file starts with "DICM".
    let mut bytes = Vec::new();
    ct("1.5", "NOPREAMBLE", vec![])
        .into_object()
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(EXPLICIT_LE))
        .unwrap()
        .write_all(&mut bytes)
        .unwrap();
    std::fs::write(root.join("b/no_preamble.dcm"), &bytes[128..]).unwrap();
    std::fs::write(root.join("b/truncated.dcm"), &bytes[..400]).unwrap();
    std::fs::write(root.join("b/notes.pdf"), b"%PDF-1.4 not an image").unwrap();
    std::fs::write(root.join("b/empty"), b"").unwrap();
    std::fs::write(root.join("b/.DS_Store"), b"hidden").unwrap();
}

/// A session like rwid's: identifiers keep their case, `read_dicom` and
/// `STORED AS DICOM` registered.
fn session() -> SessionContext {
    let mut config = SessionConfig::new();
    config.options_mut().sql_parser.enable_ident_normalization = false;
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_table_factory("DICOM".to_string(), Arc::new(DicomTableFactory))
        .build();
    let ctx = SessionContext::new_with_state(state);
    ctx.register_udtf("read_dicom", Arc::new(ReadDicom));
    ctx
}

async fn query(sql: &str) -> Vec<RecordBatch> {
    session().sql(sql).await.unwrap().collect().await.unwrap()
}

async fn query_err(sql: &str) -> String {
    let ctx = session();
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(frame) => frame.collect().await.unwrap_err().to_string(),
    }
}

fn table(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

#[tokio::test]
async fn every_encoding_reads_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let batches = query(&format!(
        "SELECT PatientID, SOPInstanceUID, Modality, Manufacturer, StudyDate, StudyTime, PatientAge,
                SliceThickness, KVP, ConvolutionKernel, SeriesNumber, InstanceNumber, PixelSpacing, ImageType,
                Rows, Columns, TransferSyntaxUID
         FROM read_dicom('{root}') WHERE read_error IS NULL ORDER BY PatientID"
    ))
    .await;
    let expected = r#"+--------------+----------------+----------+--------------+------------+--------------+------------+----------------+-------+-------------------+--------------+----------------+----------------------+----------------------------+------+---------+---------------------+
| PatientID    | SOPInstanceUID | Modality | Manufacturer | StudyDate  | StudyTime    | PatientAge | SliceThickness | KVP   | ConvolutionKernel | SeriesNumber | InstanceNumber | PixelSpacing         | ImageType                  | Rows | Columns | TransferSyntaxUID   |
+--------------+----------------+----------+--------------+------------+--------------+------------+----------------+-------+-------------------+--------------+----------------+----------------------+----------------------------+------+---------+---------------------+
| BIGENDIAN    | 1.3            | CT       | SIEMENS      | 2023-01-15 | 07:30:15.500 | 065Y       | 1.25           | 120.0 | [B30f]            | 2            | 7              | [0.703125, 0.703125] | [ORIGINAL, PRIMARY, AXIAL] | 4    | 4       | 1.2.840.10008.1.2.2 |
| EXPLICIT     | 1.1            | CT       | SIEMENS      | 2023-01-15 | 07:30:15.500 | 065Y       | 1.25           | 120.0 | [B30f]            | 2            | 7              | [0.703125, 0.703125] | [ORIGINAL, PRIMARY, AXIAL] | 4    | 4       | 1.2.840.10008.1.2.1 |
| IMPLICIT     | 1.2            | CT       | SIEMENS      | 2023-01-15 | 07:30:15.500 | 065Y       | 1.25           | 120.0 | [B30f]            | 2            | 7              | [0.703125, 0.703125] | [ORIGINAL, PRIMARY, AXIAL] | 4    | 4       | 1.2.840.10008.1.2   |
| LARGEPRIVATE | 1.4            | CT       | SIEMENS      | 2023-01-15 | 07:30:15.500 | 065Y       | 1.25           | 120.0 | [B30f]            | 2            | 7              | [0.703125, 0.703125] | [ORIGINAL, PRIMARY, AXIAL] | 4    | 4       | 1.2.840.10008.1.2.1 |
| NOPREAMBLE   | 1.5            | CT       | SIEMENS      | 2023-01-15 | 07:30:15.500 | 065Y       | 1.25           | 120.0 | [B30f]            | 2            | 7              | [0.703125, 0.703125] | [ORIGINAL, PRIMARY, AXIAL] | 4    | 4       | 1.2.840.10008.1.2.1 |
+--------------+----------------+----------+--------------+------------+--------------+------------+----------------+-------+-------------------+--------------+----------------+----------------------+----------------------------+------+---------+---------------------+"#;
    assert_eq!(table(&batches), expected);
}

#[tokio::test]
async fn broken_files_are_rows_with_read_error() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let batches = query(&format!(
        "SELECT regexp_replace(file_path, '^.*/b/', '') AS file, file_size, PatientID, read_error IS NOT NULL AS broken
         FROM read_dicom('{root}/b/') ORDER BY file"
    ))
    .await;
    let rendered = table(&batches);
    for line in [
        "| big_endian.dcm ",
        "| c/large_private.dcm ",
        "| empty ",
        "| no_preamble.dcm ",
        "| notes.pdf ",
        "| truncated.dcm ",
    ] {
        assert!(rendered.contains(line), "{line} missing:\n{rendered}");
    }
    assert!(!rendered.contains(".DS_Store"), "{rendered}");
    let broken: Vec<bool> = batches
        .iter()
        .flat_map(|b| {
            b.column(3)
                .as_boolean()
                .iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(broken, vec![false, false, true, false, true, true]);

    let reasons = table(&query(&format!(
        "SELECT regexp_replace(file_path, '^.*/b/', '') AS file, read_error FROM read_dicom('{root}/b/') WHERE read_error IS NOT NULL ORDER BY file"
    )).await);
    assert!(
        reasons.contains("| empty         | empty file"),
        "{reasons}"
    );
    assert!(
        reasons.contains("| notes.pdf     | not a DICOM file"),
        "{reasons}"
    );
}

#[tokio::test]
async fn error_modes_skip_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let batches = query(&format!(
        "SELECT count(*) AS n FROM read_dicom('{root}', 'skip')"
    ))
    .await;
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 5);
    let batches = query(&format!("SELECT count(*) AS n FROM read_dicom('{root}')")).await;
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 8);

    let err = query_err(&format!(
        "SELECT PatientID FROM read_dicom('{root}/b/', 'fail')"
    ))
    .await;
    assert!(
        err.contains("cannot read DICOM file") && err.contains("/b/"),
        "{err}"
    );
    let err = query_err(&format!("SELECT * FROM read_dicom('{root}', 'ignore')")).await;
    assert!(
        err.contains("'read_error', 'skip' or 'fail'") && err.contains("ignore"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_locations_and_arguments_name_themselves() {
    let err = query_err("SELECT * FROM read_dicom('/nonexistent/archive/')").await;
    assert!(
        err.contains("no files found at DICOM location '/nonexistent/archive/'"),
        "{err}"
    );
    let err = query_err("SELECT * FROM read_dicom(42)").await;
    assert!(err.contains("location must be a string literal"), "{err}");
    let err = query_err("SELECT * FROM read_dicom()").await;
    assert!(err.contains("read_dicom takes a location"), "{err}");
}

#[tokio::test]
async fn a_single_file_and_a_glob() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let one = query(&format!(
        "SELECT PatientID FROM read_dicom('{root}/a/implicit')"
    ))
    .await;
    assert_eq!(table(&one).lines().nth(3).unwrap(), "| IMPLICIT  |");
    let dcm = query(&format!(
        "SELECT count(*) FROM read_dicom('{root}/**/*.dcm')"
    ))
    .await;
    assert_eq!(dcm[0].column(0).as_primitive::<Int64Type>().value(0), 5);
}

#[tokio::test]
async fn projection_limit_and_file_columns_reach_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let plan = table(
        &query(&format!(
            "EXPLAIN SELECT Modality FROM read_dicom('{root}') LIMIT 2"
        ))
        .await,
    );
    assert!(
        plan.contains(
            "DicomScanExec: files=8, projection=[Modality], limit=2, stop_before=(0008,0061)"
        ),
        "{plan}"
    );
    let plan = table(
        &query(&format!(
            "EXPLAIN SELECT count(*) FROM read_dicom('{root}')"
        ))
        .await,
    );
    assert!(plan.contains("headers=not read"), "{plan}");
    let plan = table(
        &query(&format!(
            "EXPLAIN SELECT sum(file_size) FROM read_dicom('{root}')"
        ))
        .await,
    );
    assert!(
        plan.contains("projection=[file_size], headers=not read"),
        "{plan}"
    );

    let limited = query(&format!(
        "SELECT SOPInstanceUID FROM read_dicom('{root}') LIMIT 3"
    ))
    .await;
    assert_eq!(limited.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    // All rows arrive in one batch, not one batch per file.
    let all = query(&format!(
        "SELECT SliceThickness FROM read_dicom('{root}') WHERE read_error IS NULL"
    ))
    .await;
    let sizes: Vec<usize> = all
        .iter()
        .map(RecordBatch::num_rows)
        .filter(|n| *n > 0)
        .collect();
    assert!(
        sizes.iter().sum::<usize>() == 5 && sizes.len() <= 2,
        "{sizes:?}"
    );
    let thickness = all
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<Float64Type>()
                .iter()
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    assert!(thickness.iter().all(|t| *t == Some(1.25)), "{thickness:?}");
    assert!(all[0].column(0).null_count() == 0);
}

async fn run(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

#[tokio::test]
async fn external_table_with_partitions_prunes_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ct("2.1", "A1", vec![])
        .write(&root.join("site=RUH/modality=CT/one.dcm"), EXPLICIT_LE)
        .unwrap();
    ct("2.2", "A2", vec![])
        .write(&root.join("site=RUH/modality=CT/two.dcm"), EXPLICIT_LE)
        .unwrap();
    ct("2.3", "B1", vec![])
        .write(
            &root.join("site=LRC/modality=CT/deep/er/three"),
            IMPLICIT_LE,
        )
        .unwrap();
    std::fs::write(root.join("site=LRC/modality=CT/broken.dcm"), b"nope").unwrap();

    let ctx = session();
    run(&ctx, &format!(
        "CREATE EXTERNAL TABLE scans STORED AS DICOM PARTITIONED BY (site, modality) LOCATION '{}/'",
        root.display()
    ))
    .await;
    let counts = table(&run(&ctx, "SELECT site, modality, count(*) AS files, count(read_error) AS broken FROM scans GROUP BY 1, 2 ORDER BY 1").await);
    assert!(
        counts.contains("| LRC  | CT       | 2     | 1      |"),
        "{counts}"
    );
    assert!(
        counts.contains("| RUH  | CT       | 2     | 0      |"),
        "{counts}"
    );

    // A filter on a partition column chooses the files before any is read.
    let plan = table(
        &run(
            &ctx,
            "EXPLAIN SELECT PatientID FROM scans WHERE site = 'RUH'",
        )
        .await,
    );
    assert!(plan.contains("DicomScanExec: files=2,"), "{plan}");
    let ids = table(
        &run(
            &ctx,
            "SELECT PatientID FROM scans WHERE site = 'RUH' AND PatientID LIKE 'A%' ORDER BY 1",
        )
        .await,
    );
    assert!(
        ids.contains("| A1        |") && ids.contains("| A2        |"),
        "{ids}"
    );

    // Options.
    run(&ctx, &format!(
        "CREATE EXTERNAL TABLE readable STORED AS DICOM LOCATION '{}/' OPTIONS ('dicom.on_error' 'skip')",
        root.display()
    ))
    .await;
    let n = run(&ctx, "SELECT count(*) FROM readable").await;
    assert_eq!(n[0].column(0).as_primitive::<Int64Type>().value(0), 3);

    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE bad STORED AS DICOM LOCATION '{}/' OPTIONS ('dicom.tags' 'x')",
            root.display()
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown option 'dicom.tags'"), "{err}");
    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE bad (x INT) STORED AS DICOM LOCATION '{}/'",
            root.display()
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("defines its own columns"), "{err}");
}

#[tokio::test]
async fn extra_attributes_by_keyword_and_private_tag() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let root = dir.path().display();
    let batches = query(&format!(
        "SELECT PatientID, InstitutionalDepartmentName, tag_00090010, PatientName
         FROM read_dicom('{root}', 'skip', 'InstitutionalDepartmentName, (0009,0010), PatientName')
         WHERE PatientID IN ('EXPLICIT', 'LARGEPRIVATE') ORDER BY 1"
    ))
    .await;
    let rendered = table(&batches);
    assert!(
        rendered.contains(
            "| EXPLICIT     | Radiologie Süd              |              |             |"
        ),
        "{rendered}"
    );
    assert!(
        rendered.contains(
            "| LARGEPRIVATE | Radiologie Süd              | RWID TEST    |             |"
        ),
        "{rendered}"
    );

    let err = query_err(&format!(
        "SELECT * FROM read_dicom('{root}', 'skip', 'StudyDate')"
    ))
    .await;
    assert!(err.contains("'StudyDate' is already a column"), "{err}");
    let err = query_err(&format!(
        "SELECT * FROM read_dicom('{root}', 'skip', 'PatientNmae')"
    ))
    .await;
    assert!(err.contains("unknown DICOM keyword 'PatientNmae'"), "{err}");

    let ctx = session();
    run(&ctx, &format!(
        "CREATE EXTERNAL TABLE t STORED AS DICOM LOCATION '{root}/a/' OPTIONS ('dicom.attributes' 'InstitutionalDepartmentName')"
    ))
    .await;
    let names = table(&run(&ctx, "SELECT DISTINCT InstitutionalDepartmentName FROM t").await);
    assert!(names.contains("Radiologie Süd"), "{names}");
}

#[tokio::test]
async fn ingest_reads_only_new_and_changed_files() {
    use rwid::catalog::dicom::ingest::ingest;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    fixtures(&archive);
    let index_dir = dir.path().join("lake/imaging/instances");
    let ctx = session();
    let source = format!("{}/", archive.display());

    let first = ingest(&ctx, &source, &index_dir).await.unwrap();
    assert_eq!(
        (
            first.files,
            first.read,
            first.unchanged,
            first.removed,
            first.unreadable
        ),
        (8, 8, 0, 0, 3)
    );
    let again = ingest(&ctx, &source, &index_dir).await.unwrap();
    assert_eq!((again.read, again.unchanged, again.removed), (0, 8, 0));

    // One file changes, one appears, one goes.
    ct(
        "1.1",
        "EXPLICIT-V2",
        vec![text(tags::STUDY_DESCRIPTION, VR::LO, "changed")],
    )
    .write(&archive.join("a/explicit.dcm"), EXPLICIT_LE)
    .unwrap();
    ct("9.9", "NEW", vec![])
        .write(&archive.join("a/new.dcm"), EXPLICIT_LE)
        .unwrap();
    std::fs::remove_file(archive.join("b/empty")).unwrap();
    let third = ingest(&ctx, &source, &index_dir).await.unwrap();
    assert_eq!(
        (
            third.files,
            third.read,
            third.unchanged,
            third.removed,
            third.unreadable
        ),
        (8, 2, 6, 1, 2)
    );

    // The index holds what a fresh scan reads.
    let index = index_dir.join("instances.parquet").display().to_string();
    ctx.register_parquet("instances", &index, Default::default())
        .await
        .unwrap();
    let indexed = table(
        &run(
            &ctx,
            "SELECT PatientID, read_error IS NULL AS ok FROM instances ORDER BY file_path",
        )
        .await,
    );
    let scanned = table(&run(&ctx, &format!("SELECT PatientID, read_error IS NULL AS ok FROM read_dicom('{source}') ORDER BY file_path")).await);
    assert_eq!(indexed, scanned);
    assert!(
        indexed.contains("EXPLICIT-V2")
            && indexed.contains("NEW")
            && !indexed.contains("| EXPLICIT  "),
        "{indexed}"
    );
    // No staging files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&index_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("instances.parquet")]
    );
}

#[tokio::test]
async fn deflated_and_bare_data_sets() {
    use dicom_transfer_syntax_registry::entries;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Deflated Explicit VR Little Endian (PS3.5 A.5).
    ct("3.1", "DEFLATED", vec![])
        .write(&root.join("deflated.dcm"), "1.2.840.10008.1.2.1.99")
        .unwrap();
    // Data sets with neither preamble nor file meta, as old archives hold them.
    for (name, ts) in [
        ("bare_implicit", entries::IMPLICIT_VR_LITTLE_ENDIAN.erased()),
        ("bare_explicit", entries::EXPLICIT_VR_LITTLE_ENDIAN.erased()),
    ] {
        let mut bytes = Vec::new();
        ct("3.2", &name.to_uppercase(), vec![])
            .into_object()
            .write_dataset_with_ts(&mut bytes, &ts)
            .unwrap();
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let rendered = table(
        &query(&format!(
            "SELECT PatientID, Modality, SliceThickness, PixelSpacing, TransferSyntaxUID, read_error FROM read_dicom('{}/') ORDER BY 1",
            root.display()
        ))
        .await,
    );
    for line in [
        "| BARE_EXPLICIT | CT       | 1.25           | [0.703125, 0.703125] | 1.2.840.10008.1.2.1    |            |",
        "| BARE_IMPLICIT | CT       | 1.25           | [0.703125, 0.703125] | 1.2.840.10008.1.2      |            |",
        "| DEFLATED      | CT       | 1.25           | [0.703125, 0.703125] | 1.2.840.10008.1.2.1.99 |            |",
    ] {
        assert!(rendered.contains(line), "{line}\n{rendered}");
    }
}

/// The `dicom` file format in a `ListingTable` built in Rust, with hive
/// partitions typed by the listing: the plan is the same multi-file scan.
#[tokio::test]
async fn dicom_file_format_in_a_listing_table() {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::datasource::listing::{
        ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
    };
    use rwid::catalog::dicom::DicomFormat;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ct("3.1", "L1", vec![])
        .write(&root.join("site=RUH/one"), EXPLICIT_LE)
        .unwrap();
    ct("3.2", "L2", vec![])
        .write(&root.join("site=LRC/two.dcm"), IMPLICIT_LE)
        .unwrap();
    std::fs::write(root.join("site=LRC/three.dcm"), b"not dicom").unwrap();

    let ctx = session();
    let options = ListingOptions::new(Arc::new(DicomFormat::default()))
        .with_file_extension("")
        .with_table_partition_cols(vec![("site".to_string(), DataType::Utf8)]);
    let url = ListingTableUrl::parse(format!("{}/", root.display())).unwrap();
    let schema = options.infer_schema(&ctx.state(), &url).await.unwrap();
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    ctx.register_table("scans", Arc::new(ListingTable::try_new(config).unwrap()))
        .unwrap();

    let rows = table(
        &run(
            &ctx,
            "SELECT site, PatientID, read_error IS NOT NULL AS broken FROM scans ORDER BY site, PatientID",
        )
        .await,
    );
    let expected = "+------+-----------+--------+
| site | PatientID | broken |
+------+-----------+--------+
| LRC  | L2        | false  |
| LRC  |           | true   |
| RUH  | L1        | false  |
+------+-----------+--------+";
    assert_eq!(rows, expected);

    let plan = table(
        &run(
            &ctx,
            "EXPLAIN SELECT PatientID FROM scans WHERE site = 'RUH'",
        )
        .await,
    );
    assert!(
        plan.contains("DicomScanExec: files=1, projection=[PatientID]"),
        "{plan}"
    );
}

/// A `DataSourceExec` over the `dicom` file source (as a deserialized
/// distributed plan would build it) reads one row per file.
#[tokio::test]
async fn dicom_file_source_in_a_data_source_exec() {
    use datafusion::datasource::listing::PartitionedFile;
    use datafusion::datasource::physical_plan::FileScanConfigBuilder;
    use datafusion::datasource::source::DataSourceExec;
    use datafusion::datasource::table_schema::TableSchema;
    use datafusion::execution::object_store::ObjectStoreUrl;
    use datafusion::physical_plan::collect;
    use rwid::catalog::dicom::{DicomSource, OnError};

    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let ctx = session();
    let table = ctx
        .sql(&format!(
            "SELECT * FROM read_dicom('{}/a/')",
            dir.path().display()
        ))
        .await
        .unwrap();
    let schema = Arc::new(table.schema().as_arrow().clone());
    let patient = schema.index_of("PatientID").unwrap();
    let source = DicomSource::new(TableSchema::from(schema), &[], OnError::Row);
    let files = ["a/explicit.dcm", "a/implicit"].map(|name| {
        let path = dir.path().join(name);
        PartitionedFile::new(
            path.to_string_lossy().trim_start_matches('/').to_string(),
            std::fs::metadata(&path).unwrap().len(),
        )
    });
    let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
        .with_file_groups(vec![files.to_vec().into()])
        .with_projection_indices(Some(vec![patient]))
        .unwrap()
        .build();
    let batches = collect(DataSourceExec::from_data_source(config), ctx.task_ctx())
        .await
        .unwrap();
    let ids: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, ["EXPLICIT", "IMPLICIT"]);
}

/// `dicom_json` is the header as DICOM JSON (PS3.18 F.2): numbers for IS
/// and DS, PN as name objects, sequences as arrays of items, and the same
/// for every encoding.
#[tokio::test]
async fn dicom_json_column() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let name = DataElement::new(
        tags::PATIENT_NAME,
        VR::PN,
        PrimitiveValue::from("Müller^Anna=ミュラー^アンナ"),
    );
    let dose = DataElement::new(
        tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(vec![InMemDicomObject::from_element_iter([
            text(tags::RADIOPHARMACEUTICAL, VR::LO, "Fluorodeoxyglucose"),
            text(tags::RADIONUCLIDE_TOTAL_DOSE, VR::DS, "370000000"),
        ])]),
    );
    for (ts, file) in [
        (EXPLICIT_LE, "e.dcm"),
        (IMPLICIT_LE, "i.dcm"),
        (EXPLICIT_BE, "b.dcm"),
    ] {
        let utf8 = text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
        ct("4.1", "JSON", vec![utf8, name.clone(), dose.clone()])
            .write(&root.join(file), ts)
            .unwrap();
    }
    let batches = query(&format!(
        "SELECT dicom_json FROM read_dicom('{}/') ORDER BY file_path",
        root.display()
    ))
    .await;
    let documents: Vec<serde_json::Value> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_string::<i32>()
                .iter()
                .map(|v| serde_json::from_str(v.unwrap()).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(documents.len(), 3);
    assert!(
        documents.iter().all(|d| d == &documents[0]),
        "{documents:?}"
    );
    let d = &documents[0];
    assert_eq!(
        d["00080060"],
        serde_json::json!({"vr": "CS", "Value": ["CT"]})
    );
    assert_eq!(
        d["00180050"],
        serde_json::json!({"vr": "DS", "Value": [1.25]})
    );
    assert_eq!(d["00200013"], serde_json::json!({"vr": "IS", "Value": [7]}));
    assert_eq!(d["00280010"], serde_json::json!({"vr": "US", "Value": [4]}));
    assert_eq!(
        d["00280030"],
        serde_json::json!({"vr": "DS", "Value": [0.703125, 0.703125]})
    );
    assert_eq!(
        d["00100010"],
        serde_json::json!({"vr": "PN", "Value": [{"Alphabetic": "Müller^Anna", "Ideographic": "ミュラー^アンナ"}]})
    );
    assert_eq!(
        d["00540016"]["Value"][0]["00181074"],
        serde_json::json!({"vr": "DS", "Value": [370000000]})
    );
    // Pixel data is never read.
    assert!(d.get("7FE00010").is_none());
}

/// A link back up the tree (`a/back -> ..`) is a loop: each folder is read
/// once, as `find -L` does, and a link to a folder elsewhere still counts.
#[tokio::test]
async fn a_symlink_loop_lists_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    ct("1.1", "LOOPED", vec![])
        .write(&root.join("a/IM0001.dcm"), EXPLICIT_LE)
        .unwrap();
    std::os::unix::fs::symlink("..", root.join("a/back")).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    ct("1.2", "LINKED", vec![])
        .write(&elsewhere.join("IM0002.dcm"), EXPLICIT_LE)
        .unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("linked")).unwrap();
    let batches = query(&format!(
        "SELECT PatientID, count(*) AS files FROM read_dicom('{}') GROUP BY PatientID ORDER BY PatientID",
        root.display()
    ))
    .await;
    assert_eq!(
        table(&batches),
        "+-----------+-------+\n\
         | PatientID | files |\n\
         +-----------+-------+\n\
         | LINKED    | 1     |\n\
         | LOOPED    | 1     |\n\
         +-----------+-------+"
    );
}
