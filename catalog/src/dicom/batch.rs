//! Turning read headers into Arrow record batches.

use std::sync::Arc;

use chrono::Timelike;
use datafusion::arrow::array::TimestampMicrosecondArray;
use datafusion::arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringArray,
    StringBuilder, Time64MicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, SchemaRef};
use datafusion::common::Result;

use rwid_dicom::{Attribute, DicomHeader, Value, ValueType};

use crate::dicom::columns::Column;

/// What reading one file gave.
#[derive(Debug)]
pub enum Outcome {
    /// The query needed no header (only file columns, or `count(*)`).
    NotRead,
    /// The header's values for the scan's columns, in column order (`None`
    /// for columns that are not from the header). Values are taken out as
    /// soon as a header is read, so a batch holds values, not file bytes.
    Read(Vec<Option<Value>>),
    Failed(String),
}

/// One file of a scan, read or not.
#[derive(Debug)]
pub struct ScannedFile {
    pub path: String,
    pub size: u64,
    /// Last modification, microseconds since the Unix epoch (UTC).
    pub modified_micros: i64,
    /// Values of the table's partition columns, from the file's path.
    pub partition_values: Arc<[Option<String>]>,
    pub outcome: Outcome,
}

impl ScannedFile {
    /// The value of the scan's `index`th column, if read.
    fn value(&self, index: usize) -> Option<&Value> {
        match &self.outcome {
            Outcome::Read(values) => values.get(index)?.as_ref(),
            _ => None,
        }
    }

    fn text(&self, index: usize) -> Option<&str> {
        match self.value(index) {
            Some(Value::Text(text)) => Some(text),
            _ => None,
        }
    }
}

/// The values `columns` take from a read header.
pub fn header_values(columns: &[Column], header: &DicomHeader) -> Vec<Option<Value>> {
    columns
        .iter()
        .map(|column| match column {
            Column::Attribute(attribute) => header.value(attribute),
            Column::Custom(attribute) => {
                header.typed_value(attribute.tag, None, attribute.value_type)
            }
            Column::TransferSyntaxUid => header
                .transfer_syntax()
                .map(|uid| Value::Text(uid.to_string())),
            Column::DicomJson => Some(Value::Text(header.to_dicom_json())),
            Column::FilePath
            | Column::FileSize
            | Column::FileModified
            | Column::ReadError
            | Column::Partition(..) => None,
        })
        .collect()
}

/// One row per file, with the given columns.
pub fn build_batch(
    schema: &SchemaRef,
    columns: &[Column],
    files: &[ScannedFile],
) -> Result<RecordBatch> {
    let text_array = |values: &mut dyn Iterator<Item = Option<&str>>| -> ArrayRef {
        Arc::new(values.collect::<StringArray>())
    };
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .enumerate()
        .map(|(index, column)| -> Result<ArrayRef> {
            Ok(match column {
                Column::Attribute(Attribute { value_type, .. }) => {
                    typed_array(*value_type, files.iter().map(|f| f.value(index)))
                }
                Column::Custom(attribute) => {
                    typed_array(attribute.value_type, files.iter().map(|f| f.value(index)))
                }
                Column::TransferSyntaxUid | Column::DicomJson => {
                    text_array(&mut files.iter().map(|f| f.text(index)))
                }
                Column::FilePath => text_array(&mut files.iter().map(|f| Some(f.path.as_str()))),
                Column::FileSize => {
                    let mut sizes = Int64Builder::with_capacity(files.len());
                    for file in files {
                        sizes.append_value(file.size as i64);
                    }
                    Arc::new(sizes.finish())
                }
                Column::FileModified => Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        files.iter().map(|f| f.modified_micros),
                    )
                    .with_timezone("UTC"),
                ),
                Column::ReadError => text_array(&mut files.iter().map(|f| match &f.outcome {
                    Outcome::Failed(reason) => Some(reason.as_str()),
                    _ => None,
                })),
                Column::Partition(partition, field) => {
                    let text = text_array(&mut files.iter().map(|f| {
                        f.partition_values
                            .get(*partition)
                            .and_then(|v| v.as_deref())
                    }));
                    if field.data_type() == &DataType::Utf8 {
                        text
                    } else {
                        datafusion::arrow::compute::cast(&text, field.data_type())?
                    }
                }
            })
        })
        .collect::<Result<_>>()?;
    if columns.is_empty() {
        let options =
            datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(files.len()));
        return Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            arrays,
            &options,
        )?);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), arrays)?)
}

/// One column of `value_type` from the files' values.
fn typed_array<'a>(
    value_type: ValueType,
    values: impl Iterator<Item = Option<&'a Value>>,
) -> ArrayRef {
    match value_type {
        ValueType::Text => {
            let mut b = StringBuilder::new();
            for v in values {
                match v {
                    Some(Value::Text(s)) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::TextList => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v {
                    Some(Value::TextList(items)) => {
                        for item in items {
                            b.values().append_value(item);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::Integer => {
            let mut b = Int64Builder::new();
            for v in values {
                match v {
                    Some(Value::Integer(i)) => b.append_value(*i),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::Float => {
            let mut b = Float64Builder::new();
            for v in values {
                match v {
                    Some(Value::Float(x)) => b.append_value(*x),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::FloatList => {
            let mut b = ListBuilder::new(Float64Builder::new());
            for v in values {
                match v {
                    Some(Value::FloatList(items)) => {
                        b.values().append_slice(items);
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::Date => {
            let mut b = Date32Builder::new();
            for v in values {
                match v {
                    Some(Value::Date(d)) => b.append_value(Date32Type::from_naive_date(*d)),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ValueType::Time => {
            let mut b = Time64MicrosecondBuilder::new();
            for v in values {
                match v {
                    Some(Value::Time(t)) => b.append_value(
                        t.num_seconds_from_midnight() as i64 * 1_000_000
                            + (t.nanosecond() / 1000) as i64,
                    ),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}
