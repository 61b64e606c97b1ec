//! `batch_effect_anova`: is there a batch effect in a feature? An aggregate.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use rwid_methods::harmonize::anova::one_way_anova;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "One-way ANOVA of a feature across batches, an aggregate: the F statistic, its \
p-value and degrees of freedom, as scipy.stats.f_oneway computes them. A small p-value says the \
batches differ; run it on the raw and on the harmonized feature to see what ComBat changed \
(Orlhac F et al., J Nucl Med 2022;63:172-179 recommend testing site differences before and after \
harmonization). Group by feature for many features. NULL values are skipped; NULL when fewer than \
two batches or no more samples than batches remain.",
    syntax_example = "batch_effect_anova(batch, value)",
    sql_example = r#"```sql
> SELECT round(a['f'], 4) AS f, round(a['p_value'], 6) AS p FROM (SELECT batch_effect_anova(b, v) AS a FROM (VALUES ('A', 1.0), ('A', 2.0), ('A', 3.0), ('A', 2.5), ('B', 2.0), ('B', 4.0), ('B', 3.5), ('B', 5.0), ('C', 6.0), ('C', 5.5), ('C', 7.0), ('C', 6.5), ('C', 8.0)) AS t(b, v));
+---------+----------+
| f       | p        |
+---------+----------+
| 22.3141 | 0.000206 |
+---------+----------+
```"#,
    argument(name = "batch", description = "The batch: site, scanner or protocol."),
    argument(name = "value", description = "The feature's value.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BatchEffectAnova {
    signature: Signature,
}

impl Default for BatchEffectAnova {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchEffectAnova {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn fields() -> Fields {
    ["f", "p_value", "df_between", "df_within"]
        .into_iter()
        .map(|name| Field::new(name, DataType::Float64, true))
        .collect()
}

impl AggregateUDFImpl for BatchEffectAnova {
    fn name(&self) -> &str {
        "batch_effect_anova"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [_, value] if value.is_numeric() || value.is_null() => {
                Ok(vec![DataType::Utf8, DataType::Float64])
            }
            _ => plan_err!("batch_effect_anova takes (batch, numeric value), got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(AnovaAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[batches]", args.name),
                list(DataType::Utf8),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                list(DataType::Float64),
                true,
            )),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Values per batch.
#[derive(Debug, Default)]
struct AnovaAccumulator {
    groups: BTreeMap<String, Vec<f64>>,
}

impl AnovaAccumulator {
    fn add(&mut self, batches: &ArrayRef, values: &ArrayRef) -> Result<()> {
        let batches = cast(batches, &DataType::Utf8)?;
        let batches = batches.as_string::<i32>();
        let values = cast(values, &DataType::Float64)?;
        let values = values.as_primitive::<Float64Type>();
        for row in 0..batches.len() {
            if batches.is_null(row) || values.is_null(row) || !values.value(row).is_finite() {
                continue;
            }
            self.groups
                .entry(batches.value(row).to_string())
                .or_default()
                .push(values.value(row));
        }
        Ok(())
    }
}

impl Accumulator for AnovaAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], &values[1])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (batches, values): (Vec<ScalarValue>, Vec<ScalarValue>) = self
            .groups
            .iter()
            .flat_map(|(batch, values)| {
                values.iter().map(move |v| {
                    (
                        ScalarValue::Utf8(Some(batch.clone())),
                        ScalarValue::Float64(Some(*v)),
                    )
                })
            })
            .unzip();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&batches, &DataType::Utf8)),
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Float64)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (batches, values) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for row in 0..batches.len() {
            if !batches.is_null(row) {
                self.add(&batches.value(row), &values.value(row))?;
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let groups: Vec<Vec<f64>> = self.groups.values().cloned().collect();
        let values: Vec<Option<f64>> = match one_way_anova(&groups) {
            Some(a) => [a.f, a.p_value, a.df_between, a.df_within]
                .map(|v| (!v.is_nan()).then_some(v))
                .to_vec(),
            None => return ScalarValue::try_from(DataType::Struct(fields())),
        };
        let columns: Vec<ArrayRef> = values
            .into_iter()
            .map(|v| Arc::new(datafusion::arrow::array::Float64Array::from(vec![v])) as ArrayRef)
            .collect();
        let array = datafusion::arrow::array::StructArray::try_new(fields(), columns, None)?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .groups
                .iter()
                .map(|(k, v)| k.capacity() + v.capacity() * 8 + 48)
                .sum::<usize>()
    }
}
