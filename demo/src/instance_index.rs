//! The demo lake at benchmark scale, without its DICOM files: the
//! `imaging/instances` index `rwid ingest` would write from them, written
//! straight from the simulated studies, with as many instances per series
//! as asked (the files of `rwid demo` hold three).

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Float64Builder, Int64Array, ListBuilder, RecordBatch,
    StringArray,
};
use datafusion::arrow::datatypes::Date32Type;
use datafusion::common::Result;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use crate::fixtures::write_parquet;
use crate::patients::Patient;

/// Instances per Parquet file, as an index of a large archive is split.
const ROWS_PER_FILE: usize = 1_000_000;

/// One instance's values, before they become columns.
#[derive(Default)]
struct Columns {
    patient: Vec<String>,
    study: Vec<String>,
    series: Vec<String>,
    instance: Vec<String>,
    modality: Vec<&'static str>,
    date: Vec<i32>,
    description: Vec<&'static str>,
    body_part: Vec<&'static str>,
    manufacturer: Vec<&'static str>,
    model: Vec<&'static str>,
    thickness: Vec<f64>,
    kernel: Vec<Option<&'static str>>,
    z: Vec<f64>,
    number: Vec<i64>,
}

impl Columns {
    fn len(&self) -> usize {
        self.instance.len()
    }

    fn batch(self) -> Result<RecordBatch> {
        let rows = self.len();
        let list = |values: &dyn Fn(usize) -> Vec<f64>| -> ArrayRef {
            let mut builder = ListBuilder::new(Float64Builder::new());
            for row in 0..rows {
                builder.values().append_slice(&values(row));
                builder.append(true);
            }
            Arc::new(builder.finish())
        };
        let z = &self.z;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("PatientID", Arc::new(StringArray::from(self.patient))),
            ("StudyInstanceUID", Arc::new(StringArray::from(self.study))),
            (
                "SeriesInstanceUID",
                Arc::new(StringArray::from(self.series)),
            ),
            ("SOPInstanceUID", Arc::new(StringArray::from(self.instance))),
            ("Modality", Arc::new(StringArray::from(self.modality))),
            ("StudyDate", Arc::new(Date32Array::from(self.date))),
            (
                "StudyDescription",
                Arc::new(StringArray::from(self.description)),
            ),
            (
                "BodyPartExamined",
                Arc::new(StringArray::from(self.body_part)),
            ),
            (
                "Manufacturer",
                Arc::new(StringArray::from(self.manufacturer)),
            ),
            (
                "ManufacturerModelName",
                Arc::new(StringArray::from(self.model)),
            ),
            (
                "SliceThickness",
                Arc::new(Float64Array::from(self.thickness)),
            ),
            (
                "ConvolutionKernel",
                Arc::new(StringArray::from(self.kernel)),
            ),
            (
                "ImagePositionPatient",
                list(&|row| vec![-175.0, -175.0, z[row]]),
            ),
            (
                "ImageOrientationPatient",
                list(&|_| vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            ),
            ("PixelSpacing", list(&|_| vec![0.703125, 0.703125])),
            ("Rows", Arc::new(Int64Array::from(vec![512; rows]))),
            ("Columns", Arc::new(Int64Array::from(vec![512; rows]))),
            ("InstanceNumber", Arc::new(Int64Array::from(self.number))),
            ("file_size", Arc::new(Int64Array::from(vec![526_000; rows]))),
        ];
        Ok(RecordBatch::try_from_iter(columns)?)
    }
}

/// Writes `LAKE/imaging/instances/part-NNN.parquet` for every series of
/// `patients`, `per_series` instances each, consecutive in the files as an
/// ingest writes them; returns the instances written.
pub fn write_instance_index(lake: &Path, patients: &[Patient], per_series: usize) -> Result<usize> {
    let folder = lake.join("imaging/instances");
    let properties = || {
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build()
    };
    let mut columns = Columns::default();
    let (mut files, mut written) = (0, 0);
    let flush = |columns: Columns, files: &mut usize| -> Result<()> {
        let path = folder.join(format!("part-{files:03}.parquet"));
        write_parquet(&path, &[columns.batch()?], Some(properties()))?;
        *files += 1;
        Ok(())
    };
    for patient in patients {
        for study in &patient.studies {
            for series in &study.series {
                let scanner = if series.modality == "CT" {
                    study.ct_scanner.unwrap_or(study.scanner)
                } else {
                    study.scanner
                };
                for k in 0..per_series {
                    columns.patient.push(patient.dicom_patient_id.clone());
                    columns.study.push(study.uid.clone());
                    columns.series.push(series.uid.clone());
                    columns.instance.push(format!("{}.{}", series.uid, k + 1));
                    columns.modality.push(series.modality);
                    columns.date.push(Date32Type::from_naive_date(study.date));
                    columns.description.push(study.description);
                    columns.body_part.push(study.body_part);
                    columns.manufacturer.push(scanner.manufacturer);
                    columns.model.push(scanner.model);
                    columns.thickness.push(series.slice_thickness);
                    columns.kernel.push(series.kernel);
                    columns.z.push(-(k as f64) * series.slice_thickness);
                    columns.number.push(k as i64 + 1);
                }
                written += per_series;
                if columns.len() >= ROWS_PER_FILE {
                    flush(std::mem::take(&mut columns), &mut files)?;
                }
            }
        }
    }
    if columns.len() > 0 || files == 0 {
        flush(columns, &mut files)?;
    }
    Ok(written)
}
