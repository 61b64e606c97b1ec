//! The rows a filter fused into [`super::CollapseRunsExec`] keeps.

use std::sync::Arc;

use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, InListExpr, Literal};

use crate::physical_plan::word_bits::equal_bits;

/// The most texts one condition compares view by view; a longer `IN` list
/// takes Arrow's hashed lookup, which costs less than that many comparisons.
const MOST_TEXTS_PER_CONDITION: usize = 8;

/// A filter fused into [`super::CollapseRunsExec`], its fast form worked out
/// once per stream.
pub(super) struct FusedFilter {
    predicate: Arc<dyn PhysicalExpr>,
    /// The predicate as short-text conditions, when it is only those.
    short_texts: Option<Vec<ShortTextCondition>>,
}

impl FusedFilter {
    pub(super) fn new(predicate: Arc<dyn PhysicalExpr>) -> Self {
        let mut conditions = Vec::new();
        let short_texts = collect_conditions(&predicate, &mut conditions).map(|()| conditions);
        Self {
            predicate,
            short_texts,
        }
    }

    /// Rows where the predicate is true (not false, not NULL), as a mask.
    pub(super) fn kept_rows(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        if let Some(kept) = self
            .short_texts
            .as_deref()
            .and_then(|c| short_texts_kept(c, batch))
        {
            return Ok(kept);
        }
        let values = self
            .predicate
            .evaluate(batch)?
            .into_array(batch.num_rows())?;
        let Some(values) = values.as_boolean_opt() else {
            return internal_err!("filter predicate {} is not boolean", self.predicate);
        };
        Ok(match values.nulls() {
            Some(nulls) => BooleanArray::new(values.values() & nulls.inner(), None),
            None => values.clone(),
        })
    }
}

/// `column` equals one of `texts` (each at most 12 bytes, as views): what
/// `column = 'CT'`, `column IN ('CT', 'PT')` and `column = 'CT' OR column =
/// 'PT'` say.
///
/// A string of at most 12 bytes lies entirely in its 16-byte view (length,
/// then the bytes, zero-padded), so a value equals the text exactly when its
/// view equals the text's view: one 128-bit comparison per row, without
/// branches, where Arrow's comparison kernel branches per row on lengths,
/// prefixes and buffers. Longer values differ in the length field.
/// Arrow's own equality relies on the same zero padding.
struct ShortTextCondition {
    column: usize,
    texts: Vec<u128>,
}

impl ShortTextCondition {
    /// The bits of the (up to 64) `views` equal to one of the texts.
    fn word(&self, views: &[u128]) -> u64 {
        self.texts
            .iter()
            .fold(0, |word, text| word | equal_bits(views, *text))
    }
}

/// The mask of rows meeting every condition, 64 rows per word; `None` when a
/// condition's column is not a string-view column.
///
/// Conditions after the first are tested only in words where some row is
/// still kept: rows come in runs (a series' instances share their modality
/// and body part), so many words are already empty.
fn short_texts_kept(
    conditions: &[ShortTextCondition],
    batch: &RecordBatch,
) -> Option<BooleanArray> {
    let mut words: Option<Vec<u64>> = None;
    for condition in conditions {
        let values = batch
            .columns()
            .get(condition.column)?
            .as_string_view_opt()?;
        let chunks = values.views().chunks(64);
        let words = match &mut words {
            Some(words) => {
                for (word, views) in words.iter_mut().zip(chunks) {
                    if *word != 0 {
                        *word &= condition.word(views);
                    }
                }
                words
            }
            None => words.insert(chunks.map(|views| condition.word(views)).collect()),
        };
        // The view of a NULL is unspecified: NULL never equals a text.
        if let Some(nulls) = values.nulls() {
            for (word, valid) in words
                .iter_mut()
                .zip(nulls.inner().bit_chunks().iter_padded())
            {
                *word &= valid;
            }
        }
    }
    let words = words?;
    let kept = BooleanBuffer::new(Buffer::from_vec(words), 0, batch.num_rows());
    Some(BooleanArray::new(kept, None))
}

/// Adds `expression`'s short-text conditions to `conditions`; `None` when it
/// is anything else. Conditions on one column joined by OR become one
/// condition with all their texts.
fn collect_conditions(
    expression: &Arc<dyn PhysicalExpr>,
    conditions: &mut Vec<ShortTextCondition>,
) -> Option<()> {
    if let Some(binary) = expression.downcast_ref::<BinaryExpr>()
        && *binary.op() == Operator::And
    {
        collect_conditions(binary.left(), conditions)?;
        return collect_conditions(binary.right(), conditions);
    }
    conditions.push(condition(expression)?);
    Some(())
}

/// `expression` as one short-text condition, if it is one.
fn condition(expression: &Arc<dyn PhysicalExpr>) -> Option<ShortTextCondition> {
    let (column, literals): (&Column, Vec<&ScalarValue>) =
        if let Some(in_list) = expression.downcast_ref::<InListExpr>() {
            if in_list.negated() {
                return None;
            }
            let literals = in_list
                .list()
                .iter()
                .map(|item| item.downcast_ref::<Literal>().map(Literal::value))
                .collect::<Option<_>>()?;
            (in_list.expr().downcast_ref::<Column>()?, literals)
        } else {
            let binary = expression.downcast_ref::<BinaryExpr>()?;
            match binary.op() {
                Operator::Or => {
                    let (mut left, right) = (condition(binary.left())?, condition(binary.right())?);
                    if left.column != right.column {
                        return None;
                    }
                    left.texts.extend(right.texts);
                    return (left.texts.len() <= MOST_TEXTS_PER_CONDITION).then_some(left);
                }
                Operator::Eq => match (
                    binary.left().downcast_ref::<Column>(),
                    binary.right().downcast_ref::<Literal>(),
                ) {
                    (Some(column), Some(literal)) => (column, vec![literal.value()]),
                    _ => (
                        binary.right().downcast_ref::<Column>()?,
                        vec![binary.left().downcast_ref::<Literal>()?.value()],
                    ),
                },
                _ => return None,
            }
        };
    let mut texts = Vec::with_capacity(literals.len());
    for literal in literals {
        match literal {
            ScalarValue::Utf8View(Some(text)) | ScalarValue::Utf8(Some(text))
                if text.len() <= 12 =>
            {
                texts.push(make_view(text.as_bytes(), 0, 0));
            }
            // `x IN ('CT', NULL)` is NULL, never true, where x is not 'CT'.
            ScalarValue::Utf8View(None) | ScalarValue::Utf8(None) => {}
            _ => return None,
        }
    }
    (texts.len() <= MOST_TEXTS_PER_CONDITION).then_some(ShortTextCondition {
        column: column.index(),
        texts,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, StringArray, StringViewArray};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::physical_expr::expressions::{col, in_list, lit};

    use super::*;

    /// 150 rows (more than two 64-row words) of short, 12-byte, 13-byte
    /// and long values, empty strings and NULLs.
    fn batch() -> RecordBatch {
        let values = [
            Some("CT"),
            Some("CHEST"),
            None,
            Some(""),
            Some("CTA"),
            // Equal to CHEST in length and first four bytes.
            Some("CHESS"),
            Some("ABCDEFGHIJKL"),
            Some("ABCDEFGHIJKLM"),
            Some("a much longer value than twelve bytes"),
        ];
        let rows: Vec<Option<&str>> = (0..150).map(|row| values[row * 7 % 9]).collect();
        let other: Vec<Option<&str>> = (0..150).map(|row| values[(row * 3 + 1) % 9]).collect();
        RecordBatch::try_from_iter([
            (
                "a",
                Arc::new(StringViewArray::from(rows.clone())) as ArrayRef,
            ),
            ("b", Arc::new(StringViewArray::from(other)) as ArrayRef),
            ("plain", Arc::new(StringArray::from(rows)) as ArrayRef),
        ])
        .unwrap()
    }

    /// `column = 'text'`, the literal of the column's type as DataFusion's
    /// type coercion leaves it.
    fn equals(column: &str, text: &str, batch: &RecordBatch) -> Arc<dyn PhysicalExpr> {
        let text = Some(text.to_string());
        let literal = match batch.schema().field_with_name(column).unwrap().data_type() {
            DataType::Utf8 => ScalarValue::Utf8(text),
            _ => ScalarValue::Utf8View(text),
        };
        Arc::new(BinaryExpr::new(
            col(column, &batch.schema()).unwrap(),
            Operator::Eq,
            lit(literal),
        ))
    }

    fn and(left: Arc<dyn PhysicalExpr>, right: Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr> {
        Arc::new(BinaryExpr::new(left, Operator::And, right))
    }

    fn or(left: Arc<dyn PhysicalExpr>, right: Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr> {
        Arc::new(BinaryExpr::new(left, Operator::Or, right))
    }

    /// `column [NOT] IN (texts)`, `None` items as NULL.
    fn one_of(
        column: &str,
        texts: &[Option<&str>],
        negated: bool,
        batch: &RecordBatch,
    ) -> Arc<dyn PhysicalExpr> {
        let list = texts
            .iter()
            .map(|text| lit(ScalarValue::Utf8View(text.map(str::to_string))))
            .collect();
        let schema = batch.schema();
        in_list(col(column, &schema).unwrap(), list, &negated, &schema).unwrap()
    }

    /// The mask of the view comparisons, `None` when they do not apply.
    fn fast(predicate: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Option<BooleanArray> {
        let filter = FusedFilter::new(Arc::clone(predicate));
        short_texts_kept(filter.short_texts.as_deref()?, batch)
    }

    /// The mask Arrow's comparison kernels give, NULL as not kept.
    fn evaluated(predicate: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> BooleanArray {
        let values = predicate.evaluate(batch).unwrap();
        let values = values.into_array(batch.num_rows()).unwrap();
        let values = values.as_boolean();
        BooleanArray::new(values.values() & values.nulls().unwrap().inner(), None)
    }

    #[test]
    fn short_texts_compare_as_views_exactly_as_arrow_compares_them() {
        let batch = batch();
        for text in [
            "CT",
            "CHEST",
            "CHESS",
            "",
            "CTA",
            "C",
            "ABCDEFGHIJKL",
            "ABCDEFGHIJK",
        ] {
            let predicate = equals("a", text, &batch);
            let kept = fast(&predicate, &batch).expect(text);
            assert_eq!(kept, evaluated(&predicate, &batch), "a = '{text}'");
            assert!(kept.true_count() > 0 || text == "C" || text == "ABCDEFGHIJK");
        }
        let both = and(equals("a", "CT", &batch), equals("b", "CHEST", &batch));
        let kept = fast(&both, &batch).unwrap();
        assert_eq!(kept, evaluated(&both, &batch));
        assert!(kept.true_count() > 0);
        // The literal on the left.
        let swapped: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
            lit(ScalarValue::Utf8View(Some("CTA".to_string()))),
            Operator::Eq,
            col("a", &batch.schema()).unwrap(),
        ));
        assert_eq!(
            fast(&swapped, &batch).unwrap(),
            evaluated(&equals("a", "CTA", &batch), &batch)
        );
    }

    #[test]
    fn other_predicates_and_columns_take_arrows_kernels() {
        let batch = batch();
        let long = equals("a", "ABCDEFGHIJKLM", &batch);
        let plain = equals("plain", "CT", &batch);
        let not_equal: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
            col("a", &batch.schema()).unwrap(),
            Operator::NotEq,
            lit(ScalarValue::Utf8View(Some("CT".to_string()))),
        ));
        let mixed = and(equals("a", "CT", &batch), Arc::clone(&not_equal));
        let not_in = one_of("a", &[Some("CT"), Some("CHEST")], true, &batch);
        let long_in = one_of("a", &[Some("CT"), Some("ABCDEFGHIJKLM")], false, &batch);
        let nine: Vec<Option<&str>> = ["1", "2", "3", "4", "5", "6", "7", "8", "CT"]
            .into_iter()
            .map(Some)
            .collect();
        let long_list = one_of("a", &nine, false, &batch);
        let two_columns = or(equals("a", "CT", &batch), equals("b", "CT", &batch));
        for predicate in [
            long,
            plain,
            not_equal,
            mixed,
            not_in,
            long_in,
            long_list,
            two_columns,
        ] {
            assert!(fast(&predicate, &batch).is_none(), "{predicate}");
            assert_eq!(
                FusedFilter::new(Arc::clone(&predicate))
                    .kept_rows(&batch)
                    .unwrap(),
                evaluated(&predicate, &batch),
                "{predicate}"
            );
        }
    }

    #[test]
    fn in_lists_and_ors_of_short_texts_compare_as_views() {
        let batch = batch();
        let in_list = one_of(
            "a",
            &[Some("CT"), Some("CHESS"), Some("ABCDEFGHIJKL")],
            false,
            &batch,
        );
        let with_null = one_of("a", &[Some("CTA"), None], false, &batch);
        let only_null = one_of("a", &[None], false, &batch);
        let ors = or(
            or(equals("a", "CT", &batch), equals("a", "", &batch)),
            equals("a", "CHEST", &batch),
        );
        let and_in = and(
            Arc::clone(&in_list),
            one_of("b", &[Some("CHEST"), Some("CT")], false, &batch),
        );
        for predicate in [in_list, with_null, only_null, ors, and_in] {
            let kept = fast(&predicate, &batch).unwrap_or_else(|| panic!("{predicate}"));
            assert_eq!(kept, evaluated(&predicate, &batch), "{predicate}");
        }
    }

    /// Values in runs, as instances of one series share their modality: the
    /// later conditions skip words the first one left empty.
    #[test]
    fn later_conditions_skip_words_without_kept_rows() {
        let values = [Some("CT"), Some("MR"), None, Some("CHEST"), Some("HEAD")];
        let a: Vec<Option<&str>> = (0..700).map(|row| values[row / 70 % 5]).collect();
        let b: Vec<Option<&str>> = (0..700).map(|row| values[row / 30 % 5]).collect();
        let batch = RecordBatch::try_from_iter([
            ("a", Arc::new(StringViewArray::from(a)) as ArrayRef),
            ("b", Arc::new(StringViewArray::from(b)) as ArrayRef),
        ])
        .unwrap();
        for first in ["CT", "MR", "CHEST"] {
            for second in ["CT", "MR", "CHEST", "HEAD"] {
                let predicate = and(equals("a", first, &batch), equals("b", second, &batch));
                let kept = fast(&predicate, &batch).unwrap();
                assert_eq!(kept, evaluated(&predicate, &batch), "{predicate}");
            }
        }
        // Offsets: a slice starts mid-word in its views and its NULL bits.
        let sliced = batch.slice(37, 600);
        let predicate = and(equals("a", "MR", &sliced), equals("b", "HEAD", &sliced));
        let kept = fast(&predicate, &sliced).unwrap();
        assert!(kept.true_count() > 0);
        assert_eq!(kept, evaluated(&predicate, &sliced));
    }
}
