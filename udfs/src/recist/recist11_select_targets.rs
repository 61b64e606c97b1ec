//! `recist11_select_targets`: baseline target lesions, largest first.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::fixed_arguments;
use rwid_methods::recist::recist11::{LesionKind, TargetCandidate, select_targets};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "Chooses the baseline target lesions of a patient, RECIST 1.1 (Eisenhauer et \
al., Eur J Cancer 2009;45:228-247, §4.2, and the EORTC RECIST Q&A): the largest measurable \
lesions first, at most 5 in all and 2 per organ, lymph nodes of every station counting as one \
organ. An aggregate: group by patient and pass the measurable baseline lesions (see \
`recist11_lesion_class`). Returns the chosen lesion ids in selection order; ties in size go to \
the smaller id. To validate a radiologist's selection, compare it with this list.",
    syntax_example = "recist11_select_targets(lesion_id, organ, kind, size_mm)",
    sql_example = r#"```sql
> SELECT recist11_select_targets(id, organ, kind, mm) AS targets FROM (VALUES ('L1', 'liver', 'non-nodal', 50), ('L2', 'liver', 'non-nodal', 45), ('L3', 'liver', 'non-nodal', 40), ('N1', 'mediastinum', 'nodal', 30), ('N2', 'axilla', 'nodal', 25), ('N3', 'groin', 'nodal', 20), ('P1', 'lung', 'non-nodal', 15)) AS t(id, organ, kind, mm);
+----------------------+
| targets              |
+----------------------+
| [L1, L2, N1, N2, P1] |
+----------------------+
```"#,
    argument(name = "lesion_id", description = "The lesion's identifier."),
    argument(
        name = "organ",
        description = "The organ it is in (paired organs as one, e.g. 'lung')."
    ),
    argument(name = "kind", description = "`'nodal'` or `'non-nodal'`."),
    argument(
        name = "size_mm",
        description = "Longest diameter (non-nodal) or short axis (nodal) at baseline."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11SelectTargets {
    signature: Signature,
}

impl Default for Recist11SelectTargets {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11SelectTargets {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 4] = [
    DataType::Utf8,
    DataType::Utf8,
    DataType::Utf8,
    DataType::Float64,
];

fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

impl AggregateUDFImpl for Recist11SelectTargets {
    fn name(&self) -> &str {
        "recist11_select_targets"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        fixed_arguments(
            self.name(),
            "lesion_id, organ, kind, size_mm",
            arg_types,
            &TYPES,
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(text_list())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SelectionAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part: &str, data_type| crate::args::state_field(args.name, part, data_type);
        Ok(vec![
            field("lesion_ids", text_list()),
            field("organs", text_list()),
            field("kinds", text_list()),
            field(
                "sizes",
                DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
            ),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug, Default)]
struct SelectionAccumulator {
    candidates: Vec<TargetCandidate>,
}

impl SelectionAccumulator {
    fn add(&mut self, id: &str, organ: &str, kind: &str, size_mm: f64) -> Result<()> {
        let Some(parsed) = LesionKind::parse(kind) else {
            return exec_err!(
                "recist11_select_targets: kind must be 'nodal' or 'non-nodal', got '{kind}' (lesion '{id}')"
            );
        };
        self.candidates.push(TargetCandidate {
            lesion_id: id.to_string(),
            organ: organ.to_string(),
            kind: parsed,
            size_mm,
        });
        Ok(())
    }

    /// Adds the rows of four parallel columns, skipping rows with a NULL.
    fn add_columns(&mut self, columns: [&ArrayRef; 4]) -> Result<()> {
        let texts: Vec<ArrayRef> = columns[..3]
            .iter()
            .map(|c| cast(c, &DataType::Utf8))
            .collect::<Result<_, _>>()?;
        let (ids, organs, kinds) = (
            texts[0].as_string::<i32>(),
            texts[1].as_string::<i32>(),
            texts[2].as_string::<i32>(),
        );
        let sizes = cast(columns[3], &DataType::Float64)?;
        let sizes = sizes.as_primitive::<Float64Type>();
        for row in 0..ids.len() {
            if ids.is_null(row) || kinds.is_null(row) || sizes.is_null(row) {
                continue;
            }
            let organ = if organs.is_null(row) {
                ""
            } else {
                organs.value(row)
            };
            self.add(ids.value(row), organ, kinds.value(row), sizes.value(row))?;
        }
        Ok(())
    }
}

impl Accumulator for SelectionAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add_columns([&values[0], &values[1], &values[2], &values[3]])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let texts = |f: &dyn Fn(&TargetCandidate) -> String| {
            let values: Vec<ScalarValue> = self
                .candidates
                .iter()
                .map(|c| ScalarValue::Utf8(Some(f(c))))
                .collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Utf8))
        };
        let sizes: Vec<ScalarValue> = self
            .candidates
            .iter()
            .map(|c| ScalarValue::Float64(Some(c.size_mm)))
            .collect();
        Ok(vec![
            texts(&|c| c.lesion_id.clone()),
            texts(&|c| c.organ.clone()),
            texts(&|c| match c.kind {
                LesionKind::Nodal => "nodal".to_string(),
                LesionKind::NonNodal => "non-nodal".to_string(),
            }),
            ScalarValue::List(ScalarValue::new_list_nullable(&sizes, &DataType::Float64)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<&ListArray> = states.iter().map(|s| s.as_list::<i32>()).collect();
        for row in 0..lists[0].len() {
            if lists[0].is_null(row) {
                continue;
            }
            let values: Vec<ArrayRef> = lists.iter().map(|l| l.value(row)).collect();
            self.add_columns([&values[0], &values[1], &values[2], &values[3]])?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let selected: Vec<ScalarValue> = select_targets(&self.candidates)
            .into_iter()
            .map(|id| ScalarValue::Utf8(Some(id)))
            .collect();
        Ok(ScalarValue::List(ScalarValue::new_list_nullable(
            &selected,
            &DataType::Utf8,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .candidates
                .iter()
                .map(|c| std::mem::size_of_val(c) + c.lesion_id.len() + c.organ.len())
                .sum::<usize>()
    }
}
