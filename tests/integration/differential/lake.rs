//! Random lakes: two tables, each written as several Parquet files at
//! "different times", with the layouts long-lived lakes accumulate.
//!
//! `facts` is an imaging index (patient `p`, long series UID `u`, modality
//! `m`, body part `b`, instance number `n`, bytes `g`, study day `d`, a
//! float feature `f`, a unique `id`), generated clustered as an archive
//! writes it: a patient's studies together, a series' instances one after
//! the other. `dims` is a small patient table to join with (`p`, group
//! `grp`, site `w`, date `since`), with duplicate and unknown patients.
//!
//! Each file draws its own column order, drops and adds columns (schema
//! evolution), may store a column with another Arrow type (Int32 for the
//! table's Int64, Int16 for Int32, Float32 for Float64, LargeUtf8 or
//! Utf8View for text), keeps the table's row order or shuffles it, and is
//! written with its own writer settings: dictionaries on, off or per
//! column, small dictionary pages that overflow into PLAIN, data pages of a
//! few rows or many, data page v1 or v2, row groups of a few rows or one
//! for the file, statistics per page, per chunk or none, compression.
//! Every drawn choice is printed with a difference, and the whole lake
//! comes back from the same seed and case number.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{
    ArrayRef, Date32Array, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use rwid::datafusion::arrow::datatypes::{DataType, Field, Schema};
use rwid::datafusion::parquet::basic::{Compression, ZstdLevel};
use rwid::datafusion::parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterVersion,
};
use rwid::datafusion::parquet::schema::types::ColumnPath;
use rwid::demo::fixtures::write_parquet;
use rwid::demo::rng::Rng;

/// One logical value of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    /// Days since 1970-01-01.
    Date(i32),
    Float(f64),
}

/// A table column's type, as SQL declares it and as rwid reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int32,
    Int64,
    Date,
    Float,
}

impl Kind {
    fn sql(self) -> &'static str {
        match self {
            Kind::Text => "VARCHAR",
            Kind::Int32 => "INT",
            Kind::Int64 => "BIGINT",
            Kind::Date => "DATE",
            Kind::Float => "DOUBLE",
        }
    }

    fn arrow(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Date => DataType::Date32,
            Kind::Float => DataType::Float64,
        }
    }
}

/// A table: its columns (name, kind, values), its files.
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<(&'static str, Kind, Vec<Value>)>,
    pub files: Vec<FileLayout>,
    /// Whether `CREATE EXTERNAL TABLE` names the columns (required when a
    /// file stores one with another type), or DataFusion infers them from
    /// the files (merged in the order they first appear).
    pub declared: bool,
}

/// How one file of a table is written.
pub struct FileLayout {
    pub name: String,
    /// The table rows it holds, in its order.
    pub rows: Vec<usize>,
    /// Its columns in its order: a table column (stored with this Arrow
    /// type) or an extra column the table does not have.
    pub columns: Vec<(String, DataType)>,
    pub order: &'static str,
    pub writer: WriterChoice,
}

/// The writer settings drawn for a file (kept for printing).
#[derive(Debug)]
pub struct WriterChoice {
    pub version: WriterVersion,
    pub compression: Compression,
    /// `None`: the writer's default (on); else on or off per column.
    pub dictionary: Dictionary,
    pub dictionary_page_bytes: Option<usize>,
    pub page_rows: Option<usize>,
    pub row_group_rows: Option<usize>,
    pub statistics: EnabledStatistics,
    pub write_batches: usize,
}

#[derive(Debug)]
pub enum Dictionary {
    Default,
    Off,
    OffFor(Vec<String>),
}

/// Session settings drawn for a case; both sessions get the same.
#[derive(Debug)]
pub struct Settings {
    pub target_partitions: usize,
    pub batch_size: usize,
    pub scan_piece_min_rows: usize,
    pub statements: Vec<String>,
}

/// What the queries draw literals from: values the data holds, and some
/// it does not.
pub struct Domain {
    pub patients: Vec<String>,
    pub uids: Vec<String>,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
    pub sites: Vec<String>,
    pub first_day: i32,
    pub last_day: i32,
    pub largest_n: i64,
    pub bytes: Vec<i64>,
}

/// A random lake, written to a folder.
pub struct Lake {
    pub tables: Vec<Table>,
    pub settings: Settings,
    pub domain: Domain,
}

const MODALITIES: &[&str] = &["CT", "MR", "PT", "US", "SR", "NM", "DX"];
/// Short texts (inline in a string view) and long ones (past 12 bytes).
const BODY_PARTS: &[&str] = &[
    "CHEST",
    "HEAD",
    "ABDOMEN",
    "CHEST ABDOMEN PELVIS",
    "LUNG",
    "WHOLEBODY",
    "HEART",
    "BRAIN AND SPINAL CORD",
];
const SITES: &[&str] = &["site-a", "site-b", "a-much-longer-site-name", "site-d"];

impl Lake {
    /// The lake of `case` under `seed`.
    pub fn generate(seed: u64, case: u64) -> Lake {
        let mut rng = Rng::stream(seed, case);
        let (facts, domain) = facts(&mut rng);
        let dims = dims(&mut rng, &domain);
        let tables = vec![layout(&mut rng, facts), layout(&mut rng, dims)];
        let settings = settings(&mut rng);
        Lake {
            tables,
            settings,
            domain,
        }
    }

    /// Writes every table into a folder of its own under `root`.
    pub fn write(&self, root: &Path) {
        for table in &self.tables {
            let folder = root.join(table.name);
            std::fs::create_dir_all(&folder).unwrap();
            for file in &table.files {
                write_file(table, file, &folder.join(&file.name));
            }
        }
    }

    /// The statements that make the tables of a lake written to `root`.
    pub fn create_tables(&self, root: &Path) -> Vec<String> {
        self.tables
            .iter()
            .map(|table| {
                let columns = if table.declared {
                    let list: Vec<String> = table
                        .columns
                        .iter()
                        .map(|(name, kind, _)| format!("{name} {}", kind.sql()))
                        .collect();
                    format!(" ({})", list.join(", "))
                } else {
                    String::new()
                };
                format!(
                    "CREATE EXTERNAL TABLE {}{columns} STORED AS PARQUET LOCATION '{}/'",
                    table.name,
                    root.join(table.name).display()
                )
            })
            .collect()
    }
}

impl fmt::Display for Lake {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "settings: {:?}", self.settings)?;
        for table in &self.tables {
            let rows = table
                .columns
                .first()
                .map_or(0, |(_, _, values)| values.len());
            writeln!(
                f,
                "table {} ({rows} rows, {}):",
                table.name,
                if table.declared {
                    "declared"
                } else {
                    "inferred"
                }
            )?;
            for file in &table.files {
                let columns: Vec<String> = file
                    .columns
                    .iter()
                    .map(|(name, data_type)| format!("{name}:{data_type}"))
                    .collect();
                writeln!(
                    f,
                    "  {}: {} rows {}, [{}], {:?}",
                    file.name,
                    file.rows.len(),
                    file.order,
                    columns.join(", "),
                    file.writer
                )?;
            }
        }
        Ok(())
    }
}

/// `Value::Null` with probability `p`, else `value`.
fn nullable(rng: &mut Rng, p: f64, value: Value) -> Value {
    if rng.chance(p) { Value::Null } else { value }
}

/// A column's share of NULLs: none, a few, many, or all.
fn null_rate(rng: &mut Rng) -> f64 {
    *rng.pick(&[0.0, 0.0, 0.0, 0.03, 0.3, 1.0])
}

/// The imaging index, clustered by patient, study and series.
fn facts(rng: &mut Rng) -> (Table, Domain) {
    let target_rows = *rng.pick(&[0, 1, 40, 300, 1500, 4000, 8000]);
    let patients = rng.int(1, 250);
    let largest_series = *rng.pick(&[1, 3, 20, 80, 400, 1000]);
    let [
        p_nulls,
        u_nulls,
        m_nulls,
        b_nulls,
        n_nulls,
        g_nulls,
        d_nulls,
        f_nulls,
    ] = std::array::from_fn(|_| null_rate(rng));
    // Sizes past the 32 bits some files store them in, and sums that wrap.
    let huge_bytes = rng.chance(0.1);
    let first_day = 18_262 + rng.int(0, 300) as i32;
    let mut rows: Vec<[Value; 9]> = Vec::new();
    let mut uids = Vec::new();
    let mut bytes = Vec::new();
    let mut id = rng.int(-50, 1000);
    'patients: for patient in 0..patients {
        let p = format!("P{patient:04}");
        for study in 0..rng.int(1, 4) {
            let day = first_day + rng.int(0, 90) as i32;
            for series in 0..rng.int(1, 4) {
                if rows.len() >= target_rows {
                    break 'patients;
                }
                let uid = format!("1.2.826.0.1.3680043.10.{patient}.{study}.{series}");
                uids.push(uid.clone());
                let modality = rng.pick(MODALITIES).to_string();
                let body_part = rng.pick(BODY_PARTS).to_string();
                let size = if huge_bytes {
                    rng.int(i64::MAX / 8, i64::MAX / 2)
                } else {
                    rng.int(0, 1 << 20)
                };
                bytes.push(size);
                let series_day = nullable(rng, d_nulls, Value::Date(day));
                let modality = nullable(rng, m_nulls, Value::Text(modality));
                let body_part = nullable(rng, b_nulls, Value::Text(body_part));
                for instance in 0..rng.int(1, largest_series) {
                    id += 1;
                    // Multiples of a quarter: exact in Float32, and sums
                    // that no order of addition rounds. Now and then the
                    // values rounding cannot see: -0.0 and NaN.
                    let feature = match rng.int(0, 60) {
                        0 => -0.0,
                        1 => f64::NAN,
                        _ => rng.int(-80, 80) as f64 / 4.0,
                    };
                    rows.push([
                        Value::Int(id),
                        nullable(rng, p_nulls, Value::Text(p.clone())),
                        nullable(rng, u_nulls, Value::Text(uid.clone())),
                        modality.clone(),
                        body_part.clone(),
                        nullable(rng, n_nulls, Value::Int(instance + 1)),
                        nullable(rng, g_nulls, Value::Int(size)),
                        series_day.clone(),
                        nullable(rng, f_nulls, Value::Float(feature)),
                    ]);
                }
            }
        }
    }
    let names = ["id", "p", "u", "m", "b", "n", "g", "d", "f"];
    let kinds = [
        Kind::Int64,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Int32,
        Kind::Int64,
        Kind::Date,
        Kind::Float,
    ];
    let columns = (0..names.len())
        .map(|c| {
            let values = rows.iter().map(|row| row[c].clone()).collect();
            (names[c], kinds[c], values)
        })
        .collect();
    let mut patient_ids: Vec<String> = (0..patients).map(|p| format!("P{p:04}")).collect();
    // And some the index does not hold.
    patient_ids.extend(["P9999".to_string(), "Q0001".to_string(), String::new()]);
    uids.push("1.2.826.0.1.3680043.10.99999.0.0".to_string());
    let domain = Domain {
        patients: patient_ids,
        uids,
        modalities: MODALITIES.iter().map(|m| m.to_string()).collect(),
        body_parts: BODY_PARTS.iter().map(|b| b.to_string()).collect(),
        sites: SITES.iter().map(|s| s.to_string()).collect(),
        first_day,
        last_day: first_day + 90,
        largest_n: largest_series,
        bytes,
    };
    let table = Table {
        name: "facts",
        columns,
        files: Vec::new(),
        declared: false,
    };
    (table, domain)
}

/// Some of the index's patients (some twice) and some it does not hold.
fn dims(rng: &mut Rng, domain: &Domain) -> Table {
    let mut rows: Vec<[Value; 4]> = Vec::new();
    let grp_nulls = null_rate(rng);
    for patient in &domain.patients {
        let copies = *rng.pick(&[0, 0, 1, 1, 1, 2]);
        for _ in 0..copies {
            let group = Value::Int(rng.int(0, 3));
            let since = Value::Date(domain.first_day + rng.int(-30, 90) as i32);
            rows.push([
                Value::Text(patient.clone()),
                nullable(rng, grp_nulls, group),
                Value::Text(rng.pick(SITES).to_string()),
                nullable(rng, 0.1, since),
            ]);
        }
    }
    let names = ["p", "grp", "w", "since"];
    let kinds = [Kind::Text, Kind::Int32, Kind::Text, Kind::Date];
    let columns = (0..names.len())
        .map(|c| {
            let values = rows.iter().map(|row| row[c].clone()).collect();
            (names[c], kinds[c], values)
        })
        .collect();
    Table {
        name: "dims",
        columns,
        files: Vec::new(),
        declared: false,
    }
}

/// `table` split over one to four files, each laid out its own way.
fn layout(rng: &mut Rng, mut table: Table) -> Table {
    let rows = table.columns[0].2.len();
    let file_count = rng.int(1, 4) as usize;
    // Cut points: consecutive stretches of the table's rows, some empty.
    let mut cuts: Vec<usize> = (1..file_count)
        .map(|_| rng.int(0, rows as i64) as usize)
        .collect();
    cuts.sort_unstable();
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts)
        .chain(std::iter::once(rows))
        .collect();
    let mut types_differ = false;
    for (index, window) in bounds.windows(2).enumerate() {
        let mut file_rows: Vec<usize> = (window[0]..window[1]).collect();
        let order = match rng.int(0, 9) {
            0..=5 => "as written",
            6 | 7 => {
                shuffle(rng, &mut file_rows);
                "shuffled"
            }
            _ => {
                // Clustered by another column (modality), as a file written
                // by a query's sort would be.
                let m = table.columns.len().min(4) - 1;
                let key = |row: &usize| format!("{:?}", table.columns[m].2[*row]);
                file_rows.sort_by_key(key);
                "sorted by another column"
            }
        };
        let columns = file_columns(rng, &table, &file_rows, &mut types_differ);
        let writer = writer_choice(rng, &columns, file_rows.len());
        table.files.push(FileLayout {
            name: format!("part-{index}.parquet"),
            rows: file_rows,
            columns,
            order,
            writer,
        });
    }
    // DataFusion cannot merge files whose types differ, nor infer a
    // column no file holds; a lake's catalog declares such a table.
    let unwritten = table.columns.iter().any(|(name, _, _)| {
        !table
            .files
            .iter()
            .any(|file| file.columns.iter().any(|(n, _)| n == name))
    });
    table.declared = types_differ || unwritten || rng.chance(0.4);
    table
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.int(0, i as i64) as usize);
    }
}

/// A file's columns: the table's in a random order, some left out, some
/// extra ones added, some stored with another Arrow type.
fn file_columns(
    rng: &mut Rng,
    table: &Table,
    rows: &[usize],
    types_differ: &mut bool,
) -> Vec<(String, DataType)> {
    let mut columns: Vec<(String, DataType)> = Vec::new();
    for (name, kind, values) in &table.columns {
        // Every file holds `id`: the window queries order by it last, so
        // that every plan numbers the rows alike.
        if *name != "id" && rng.chance(0.12) {
            continue;
        }
        let fits_i32 = rows.iter().all(|&row| match &values[row] {
            Value::Int(v) => i32::try_from(*v).is_ok(),
            _ => true,
        });
        let data_type = match kind {
            Kind::Text => match rng.int(0, 9) {
                0 => DataType::LargeUtf8,
                1 => DataType::Utf8View,
                _ => DataType::Utf8,
            },
            Kind::Int64 if fits_i32 && rng.chance(0.2) => DataType::Int32,
            Kind::Int32 if rng.chance(0.1) => DataType::Int16,
            Kind::Int32 if rng.chance(0.05) => DataType::Int64,
            Kind::Float if rng.chance(0.15) => DataType::Float32,
            kind => kind.arrow(),
        };
        *types_differ |= data_type != kind.arrow();
        columns.push((name.to_string(), data_type));
    }
    if columns.is_empty() {
        let (name, kind, _) = &table.columns[0];
        columns.push((name.to_string(), kind.arrow()));
    }
    for extra in 0..rng.int(0, 2) {
        if rng.chance(0.6) {
            continue;
        }
        let data_type = if extra == 0 {
            DataType::Utf8
        } else {
            DataType::Int32
        };
        columns.push((format!("extra_{extra}"), data_type));
    }
    shuffle(rng, &mut columns);
    columns
}

fn writer_choice(rng: &mut Rng, columns: &[(String, DataType)], rows: usize) -> WriterChoice {
    let dictionary = match rng.int(0, 9) {
        0 => Dictionary::Off,
        1 | 2 => Dictionary::OffFor(
            columns
                .iter()
                .filter(|_| rng.chance(0.5))
                .map(|(name, _)| name.clone())
                .collect(),
        ),
        _ => Dictionary::Default,
    };
    WriterChoice {
        version: *rng.pick(&[WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0]),
        compression: *rng.pick(&[
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::ZSTD(ZstdLevel::default()),
            Compression::LZ4_RAW,
        ]),
        dictionary,
        // Small dictionary pages overflow into PLAIN-encoded data pages.
        dictionary_page_bytes: *rng.pick(&[None, None, None, Some(64), Some(300), Some(2000)]),
        page_rows: *rng.pick(&[None, Some(3), Some(50), Some(200), Some(1000)]),
        row_group_rows: *rng.pick(&[None, None, Some(7), Some(100), Some(1000), Some(3000)]),
        statistics: *rng.pick(&[
            EnabledStatistics::Page,
            EnabledStatistics::Page,
            EnabledStatistics::Chunk,
            EnabledStatistics::None,
        ]),
        write_batches: rng.int(1, 4).min(rows.max(1) as i64) as usize,
    }
}

fn settings(rng: &mut Rng) -> Settings {
    let mut statements = Vec::new();
    let mut set = |statement: &str| statements.push(statement.to_string());
    if rng.chance(0.2) {
        set("SET datafusion.execution.parquet.pruning = false");
    }
    if rng.chance(0.15) {
        set("SET datafusion.execution.parquet.pushdown_filters = true");
    }
    if rng.chance(0.3) {
        set("SET datafusion.execution.parquet.enable_page_index = false");
    }
    if rng.chance(0.1) {
        set("SET datafusion.execution.collect_statistics = false");
    }
    if rng.chance(0.2) {
        // Text read and declared as Utf8 rather than Utf8View.
        set("SET datafusion.execution.parquet.schema_force_view_types = false");
        set("SET datafusion.sql_parser.map_string_types_to_utf8view = false");
    }
    if rng.chance(0.4) {
        // Files split into byte ranges read by several partitions.
        set("SET datafusion.optimizer.repartition_file_min_size = 200");
    }
    Settings {
        target_partitions: rng.int(1, 4) as usize,
        batch_size: *rng.pick(&[2, 3, 17, 97, 1000, 8192]),
        scan_piece_min_rows: *rng.pick(&[1, 10, 100, 1000, 122_880]),
        statements,
    }
}

fn write_file(table: &Table, file: &FileLayout, path: &Path) {
    let fields: Vec<Field> = file
        .columns
        .iter()
        .map(|(name, data_type)| Field::new(name, data_type.clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = file
        .columns
        .iter()
        .map(|(name, data_type)| {
            let values: Vec<Value> = match table.columns.iter().find(|(n, _, _)| n == name) {
                Some((_, _, values)) => file.rows.iter().map(|&row| values[row].clone()).collect(),
                // An extra column: a value the table never sees.
                None => file
                    .rows
                    .iter()
                    .map(|&row| match data_type {
                        DataType::Int32 => Value::Int(row as i64 % 5),
                        _ => Value::Text(format!("x{}", row % 3)),
                    })
                    .collect(),
            };
            array(&values, data_type)
        })
        .collect();
    let batch = RecordBatch::try_new(schema, arrays).unwrap();
    // Written in several calls, as a writer that receives rows over time.
    let rows = batch.num_rows();
    let step = rows.div_ceil(file.writer.write_batches).max(1);
    let slices: Vec<RecordBatch> = (0..rows.max(1))
        .step_by(step)
        .map(|start| batch.slice(start.min(rows), step.min(rows - start.min(rows))))
        .collect();
    write_parquet(path, &slices, Some(properties(&file.writer))).unwrap();
}

fn properties(choice: &WriterChoice) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_writer_version(choice.version)
        .set_compression(choice.compression)
        .set_statistics_enabled(choice.statistics);
    match &choice.dictionary {
        Dictionary::Default => {}
        Dictionary::Off => builder = builder.set_dictionary_enabled(false),
        Dictionary::OffFor(columns) => {
            for column in columns {
                builder =
                    builder.set_column_dictionary_enabled(ColumnPath::from(column.as_str()), false);
            }
        }
    }
    if let Some(bytes) = choice.dictionary_page_bytes {
        builder = builder.set_dictionary_page_size_limit(bytes);
    }
    if let Some(rows) = choice.page_rows {
        // The row limit is checked once per write batch.
        builder = builder
            .set_data_page_row_count_limit(rows)
            .set_write_batch_size(rows);
    }
    if let Some(rows) = choice.row_group_rows {
        builder = builder.set_max_row_group_row_count(Some(rows));
    }
    builder.build()
}

/// `values` as an array of `data_type`.
fn array(values: &[Value], data_type: &DataType) -> ArrayRef {
    let text = || {
        values.iter().map(|v| match v {
            Value::Text(s) => Some(s.as_str()),
            _ => None,
        })
    };
    let int = || {
        values.iter().map(|v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })
    };
    let float = || {
        values.iter().map(|v| match v {
            Value::Float(x) => Some(*x),
            _ => None,
        })
    };
    match data_type {
        DataType::Utf8 => Arc::new(text().collect::<StringArray>()),
        DataType::LargeUtf8 => Arc::new(text().collect::<LargeStringArray>()),
        DataType::Utf8View => Arc::new(text().collect::<StringViewArray>()),
        DataType::Int16 => Arc::new(
            int()
                .map(|v| v.map(|v| i16::try_from(v).unwrap()))
                .collect::<Int16Array>(),
        ),
        DataType::Int32 => Arc::new(
            int()
                .map(|v| v.map(|v| i32::try_from(v).unwrap()))
                .collect::<Int32Array>(),
        ),
        DataType::Int64 => Arc::new(int().collect::<Int64Array>()),
        DataType::Date32 => Arc::new(
            values
                .iter()
                .map(|v| match v {
                    Value::Date(d) => Some(*d),
                    _ => None,
                })
                .collect::<Date32Array>(),
        ),
        DataType::Float32 => Arc::new(
            float()
                .map(|v| v.map(|v| v as f32))
                .collect::<Float32Array>(),
        ),
        DataType::Float64 => Arc::new(float().collect::<Float64Array>()),
        other => unreachable!("no generator writes {other}"),
    }
}
