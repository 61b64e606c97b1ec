//! A patient's time-point responses as the RECIST aggregates collect them:
//! (day since 1970-01-01, response) pairs, added from Arrow columns, and
//! carried between aggregation phases as two list columns.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};

use rwid_methods::recist::irecist::IResponse;
use rwid_methods::recist::recist11::Response;

/// A time-point response as text: RECIST 1.1's or iRECIST's.
pub(super) trait TimePointResponse: Copy + std::fmt::Debug {
    /// The accepted values, for errors.
    const EXPECTED: &'static str;
    fn parse(text: &str) -> Option<Self>;
    fn as_str(self) -> &'static str;
}

impl TimePointResponse for Response {
    const EXPECTED: &'static str = "CR, PR, SD, NON-CR/NON-PD, PD or NE";
    fn parse(text: &str) -> Option<Self> {
        Response::parse(text)
    }
    fn as_str(self) -> &'static str {
        Response::as_str(self)
    }
}

impl TimePointResponse for IResponse {
    const EXPECTED: &'static str = "iCR, iPR, iSD, NON-iCR/NON-iUPD, iUPD, iCPD or NE";
    fn parse(text: &str) -> Option<Self> {
        IResponse::parse(text)
    }
    fn as_str(self) -> &'static str {
        IResponse::as_str(self)
    }
}

#[derive(Debug)]
pub(super) struct Assessments<R> {
    /// The aggregate's name, for errors.
    function: &'static str,
    pub(super) rows: Vec<(i64, R)>,
}

/// A patient's reference date (treatment start or randomisation) as the
/// best-response aggregates take it: one per patient, as days since
/// 1970-01-01.
#[derive(Debug)]
pub(super) struct ReferenceDay {
    /// The aggregate's name, for errors.
    function: &'static str,
    pub(super) day: Option<i64>,
}

impl ReferenceDay {
    pub(super) fn new(function: &'static str) -> Self {
        Self {
            function,
            day: None,
        }
    }

    /// Takes every non-NULL day of an Int64 column (input days or merged
    /// states alike); two different days are an error.
    pub(super) fn add(&mut self, days: &ArrayRef) -> Result<()> {
        for day in days.as_primitive::<Int64Type>().iter().flatten() {
            match self.day {
                Some(known) if known != day => {
                    return exec_err!(
                        "{}: one reference_date per patient, got two ({known} and {day} days since 1970-01-01)",
                        self.function
                    );
                }
                _ => self.day = Some(day),
            }
        }
        Ok(())
    }
}

/// An option of the best-response aggregates (such as `min_sd_days`): the
/// first non-NULL value of an Int64 column, input and merged states alike;
/// once set, it stays.
pub(super) fn keep_first_setting(setting: &mut Option<i64>, column: &ArrayRef) {
    *setting = setting.or(column.as_primitive::<Int64Type>().iter().flatten().next());
}

/// Days since 1970-01-01 of a Date32 column, as Int64.
pub(super) fn days_of(dates: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(&cast(dates, &DataType::Int32)?, &DataType::Int64)?)
}

/// The two state fields, named after the aggregate's state name.
pub(super) fn state_fields(name: &str) -> [FieldRef; 2] {
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
    [
        crate::args::state_field(name, "days", list(DataType::Int64)),
        crate::args::state_field(name, "responses", list(DataType::Utf8)),
    ]
}

impl<R: TimePointResponse> Assessments<R> {
    pub(super) fn new(function: &'static str) -> Self {
        Self {
            function,
            rows: Vec::new(),
        }
    }

    /// Adds the rows of a response column and a day column (Int64); rows with
    /// a NULL in either are skipped, an unknown response is an error.
    pub(super) fn add_rows(&mut self, responses: &ArrayRef, days: &ArrayRef) -> Result<()> {
        let responses = cast(responses, &DataType::Utf8)?;
        let responses = responses.as_string::<i32>();
        let days = days.as_primitive::<Int64Type>();
        for row in 0..responses.len() {
            if responses.is_null(row) || days.is_null(row) {
                continue;
            }
            let Some(response) = R::parse(responses.value(row)) else {
                return exec_err!(
                    "{}: response must be {}, got '{}'",
                    self.function,
                    R::EXPECTED,
                    responses.value(row)
                );
            };
            self.rows.push((days.value(row), response));
        }
        Ok(())
    }

    /// The state: the days and the responses, as two lists.
    pub(super) fn state(&self) -> [ScalarValue; 2] {
        let days: Vec<ScalarValue> = self
            .rows
            .iter()
            .map(|(day, _)| ScalarValue::Int64(Some(*day)))
            .collect();
        let responses: Vec<ScalarValue> = self
            .rows
            .iter()
            .map(|(_, r)| ScalarValue::Utf8(Some(r.as_str().to_string())))
            .collect();
        [
            ScalarValue::List(ScalarValue::new_list_nullable(&days, &DataType::Int64)),
            ScalarValue::List(ScalarValue::new_list_nullable(&responses, &DataType::Utf8)),
        ]
    }

    /// Merges state row `row` of the two list columns [`Self::state`] wrote.
    pub(super) fn merge_row(
        &mut self,
        days: &ArrayRef,
        responses: &ArrayRef,
        row: usize,
    ) -> Result<()> {
        let (days, responses) = (days.as_list::<i32>(), responses.as_list::<i32>());
        if days.is_null(row) {
            return Ok(());
        }
        self.add_rows(&responses.value(row), &days.value(row))
    }

    pub(super) fn size(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<(i64, R)>()
    }
}
