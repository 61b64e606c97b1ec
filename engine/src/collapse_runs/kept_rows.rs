//! The rows a filter fused into [`super::CollapseRunsExec`] keeps.

use std::sync::Arc;

use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};

/// Rows where `predicate` is true (not false, not NULL), as a filter mask.
pub(super) fn kept_rows(
    predicate: &Arc<dyn PhysicalExpr>,
    batch: &RecordBatch,
) -> Result<BooleanArray> {
    if let Some(kept) = short_text_equalities(predicate, batch) {
        return Ok(kept);
    }
    let values = predicate.evaluate(batch)?.into_array(batch.num_rows())?;
    let Some(values) = values.as_boolean_opt() else {
        return internal_err!("filter predicate {predicate} is not boolean");
    };
    Ok(match values.nulls() {
        Some(nulls) => BooleanArray::new(values.values() & nulls.inner(), None),
        None => values.clone(),
    })
}

/// The mask of a predicate that is only `column = 'text'` comparisons joined
/// by AND, over string-view columns and texts of at most 12 bytes (the
/// cohort filters: `Modality = 'CT' AND BodyPartExamined = 'CHEST'`); `None`
/// for any other predicate or column type.
///
/// A string of at most 12 bytes lies entirely in its 16-byte view (length,
/// then the bytes, zero-padded), so a value equals the text exactly when its
/// view equals the text's view: one 128-bit comparison per row, which the
/// compiler vectorizes, where Arrow's comparison kernel branches per row on
/// lengths, prefixes and buffers. Longer values differ in the length field.
/// Arrow's own equality relies on the same zero padding.
fn short_text_equalities(
    predicate: &Arc<dyn PhysicalExpr>,
    batch: &RecordBatch,
) -> Option<BooleanArray> {
    let mut comparisons = Vec::new();
    collect_equalities(predicate, &mut comparisons)?;
    let mut kept: Option<BooleanBuffer> = None;
    for (column, text) in comparisons {
        let values = batch.columns().get(column)?.as_string_view_opt()?;
        let wanted = make_view(text.as_bytes(), 0, 0);
        let mut equal = equal_views(values.views(), wanted);
        if let Some(nulls) = values.nulls() {
            equal = &equal & nulls.inner();
        }
        kept = Some(match kept {
            Some(kept) => &kept & &equal,
            None => equal,
        });
    }
    kept.map(|kept| BooleanArray::new(kept, None))
}

/// The mask of `views` equal to `wanted`, 64 rows per word.
fn equal_views(views: &[u128], wanted: u128) -> BooleanBuffer {
    let words: Vec<u64> = views
        .chunks(64)
        .map(|chunk| {
            chunk.iter().enumerate().fold(0u64, |word, (bit, view)| {
                word | (u64::from(*view == wanted) << bit)
            })
        })
        .collect();
    BooleanBuffer::new(Buffer::from_vec(words), 0, views.len())
}

/// Adds `expression`'s `column = 'text'` comparisons to `comparisons`;
/// `None` when it is anything else.
fn collect_equalities<'a>(
    expression: &'a Arc<dyn PhysicalExpr>,
    comparisons: &mut Vec<(usize, &'a str)>,
) -> Option<()> {
    let binary = expression.downcast_ref::<BinaryExpr>()?;
    match binary.op() {
        Operator::And => {
            collect_equalities(binary.left(), comparisons)?;
            collect_equalities(binary.right(), comparisons)
        }
        Operator::Eq => {
            let (column, literal) = match (
                binary.left().downcast_ref::<Column>(),
                binary.right().downcast_ref::<Literal>(),
            ) {
                (Some(column), Some(literal)) => (column, literal),
                _ => (
                    binary.right().downcast_ref::<Column>()?,
                    binary.left().downcast_ref::<Literal>()?,
                ),
            };
            match literal.value() {
                ScalarValue::Utf8View(Some(text)) | ScalarValue::Utf8(Some(text))
                    if text.len() <= 12 =>
                {
                    comparisons.push((column.index(), text.as_str()));
                    Some(())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, StringArray, StringViewArray};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::physical_expr::expressions::{col, lit};

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
            let fast = short_text_equalities(&predicate, &batch).expect(text);
            assert_eq!(fast, evaluated(&predicate, &batch), "a = '{text}'");
            assert!(fast.true_count() > 0 || text == "C" || text == "ABCDEFGHIJK");
        }
        let both = and(equals("a", "CT", &batch), equals("b", "CHEST", &batch));
        let fast = short_text_equalities(&both, &batch).unwrap();
        assert_eq!(fast, evaluated(&both, &batch));
        assert!(fast.true_count() > 0);
        // The literal on the left.
        let swapped: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
            lit(ScalarValue::Utf8View(Some("CTA".to_string()))),
            Operator::Eq,
            col("a", &batch.schema()).unwrap(),
        ));
        assert_eq!(
            short_text_equalities(&swapped, &batch).unwrap(),
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
        for predicate in [long, plain, not_equal, mixed] {
            assert!(
                short_text_equalities(&predicate, &batch).is_none(),
                "{predicate}"
            );
            assert_eq!(
                kept_rows(&predicate, &batch).unwrap(),
                evaluated(&predicate, &batch)
            );
        }
    }
}
