//! The columns of a DICOM table: the attributes it reads from headers
//! (typed by VR: DA to DATE, TM to TIME, DS/FD/FL to DOUBLE, IS/US/UL/SL/SS
//! to BIGINT, text to VARCHAR, multi-valued attributes to LISTs), the file
//! columns after them, and hive partition columns last.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use rwid_dicom::{Attribute, CURATED, CustomAttribute, ValueType};

/// The Arrow type of a column holding values of `value_type`.
pub fn arrow_type(value_type: ValueType) -> DataType {
    let item = |t: DataType| DataType::List(Arc::new(Field::new("item", t, true)));
    match value_type {
        ValueType::Text => DataType::Utf8,
        ValueType::TextList => item(DataType::Utf8),
        ValueType::Integer => DataType::Int64,
        ValueType::Float => DataType::Float64,
        ValueType::FloatList => item(DataType::Float64),
        ValueType::Date => DataType::Date32,
        ValueType::Time => DataType::Time64(TimeUnit::Microsecond),
    }
}

/// Columns every DICOM table has after the attributes.
pub mod file_columns {
    /// Where the file is: a local path or an object-store URL.
    pub const FILE_PATH: &str = "file_path";
    /// Size of the file in bytes.
    pub const FILE_SIZE: &str = "file_size";
    /// When the file (object) was last modified, UTC.
    pub const FILE_MODIFIED: &str = "file_modified";
    /// Transfer syntax of the file's data set, from its file meta group.
    pub const TRANSFER_SYNTAX_UID: &str = "TransferSyntaxUID";
    /// Why the header could not be read; NULL when it was.
    pub const READ_ERROR: &str = "read_error";
    /// The whole header (up to the pixel data) as DICOM JSON, PS3.18 F.2.
    pub const DICOM_JSON: &str = "dicom_json";
}

/// One column of a DICOM table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Attribute(&'static Attribute),
    /// An attribute the user added by keyword or tag.
    Custom(Arc<CustomAttribute>),
    TransferSyntaxUid,
    FilePath,
    FileSize,
    FileModified,
    ReadError,
    /// The whole header as DICOM JSON; computed only when selected.
    DicomJson,
    /// A hive partition column (`site=RUH/` in the path): its position among
    /// the table's partition columns, and its field (text unless a listing
    /// table declared another type).
    Partition(usize, Arc<Field>),
}

impl Column {
    pub fn name(&self) -> &str {
        match self {
            Column::Attribute(a) => a.keyword,
            Column::Custom(a) => &a.name,
            Column::TransferSyntaxUid => file_columns::TRANSFER_SYNTAX_UID,
            Column::FilePath => file_columns::FILE_PATH,
            Column::FileSize => file_columns::FILE_SIZE,
            Column::FileModified => file_columns::FILE_MODIFIED,
            Column::ReadError => file_columns::READ_ERROR,
            Column::DicomJson => file_columns::DICOM_JSON,
            Column::Partition(_, field) => field.name(),
        }
    }

    pub fn field(&self) -> Field {
        match self {
            Column::Partition(_, field) => field.as_ref().clone(),
            Column::Attribute(a) => Field::new(a.keyword, arrow_type(a.value_type), true),
            Column::Custom(a) => Field::new(&a.name, arrow_type(a.value_type), true),
            Column::TransferSyntaxUid => Field::new(self.name(), arrow_type(ValueType::Text), true),
            Column::FilePath => Field::new(self.name(), arrow_type(ValueType::Text), false),
            Column::FileSize => Field::new(self.name(), arrow_type(ValueType::Integer), false),
            Column::FileModified => Field::new(
                self.name(),
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Column::ReadError | Column::DicomJson => {
                Field::new(self.name(), arrow_type(ValueType::Text), true)
            }
        }
    }

    /// Whether producing this column needs the header to be read.
    pub fn needs_header(&self) -> bool {
        matches!(
            self,
            Column::Attribute(_)
                | Column::Custom(_)
                | Column::TransferSyntaxUid
                | Column::ReadError
                | Column::DicomJson
        )
    }

    /// The top-level tag a parse must reach for this column, if any.
    pub fn top_level_tag(&self) -> Option<dicom_core::Tag> {
        match self {
            Column::Attribute(a) => Some(a.top_level_tag()),
            Column::Custom(a) => Some(a.tag),
            _ => None,
        }
    }
}

/// The columns of a DICOM table, in table order: the curated attributes,
/// the user's attributes, the file columns, then the partition columns.
pub fn table_columns(custom: &[CustomAttribute], partition_columns: &[Field]) -> Vec<Column> {
    let mut columns: Vec<Column> = CURATED.iter().map(Column::Attribute).collect();
    columns.extend(custom.iter().map(|a| Column::Custom(Arc::new(a.clone()))));
    columns.extend([
        Column::TransferSyntaxUid,
        Column::FilePath,
        Column::FileSize,
        Column::FileModified,
        Column::ReadError,
        Column::DicomJson,
    ]);
    columns.extend(
        partition_columns
            .iter()
            .enumerate()
            .map(|(i, field)| Column::Partition(i, Arc::new(field.clone()))),
    );
    columns
}

pub fn schema_of(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(Column::field).collect::<Vec<_>>(),
    ))
}
