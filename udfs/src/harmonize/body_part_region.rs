//! `body_part_region`: the SNOMED CT anatomic region of a DICOM Body Part
//! Examined value.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Fields};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{is_text, text_argument, text_fields};
use crate::same_rules_same_function;
use rwid_methods::rule_tables::RuleTables;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "The anatomic region a DICOM Body Part Examined (0018,0015) value names, as \
DICOM PS3.16 Annex L (Table L-1, \"Correspondence of Anatomic Region Codes and Body Part Examined \
Defined Terms\") codes it in SNOMED CT: a struct of `code` (the SNOMED CT concept code), \
`meaning` and `rule` (the term matched, with the rule file's name and version). Values are \
compared as the defined terms are written, upper case without spaces or punctuation, so `Chest` \
and `ABDOMEN PELVIS` match `CHEST` and `ABDOMENPELVIS`. NULL for a value that is not a defined \
term. The terms are the versioned table `methods/rules/body_parts.toml` (generated from highdicom's \
copy of Table L-1 by `tests/python/dicom_body_parts.py`), extended with `rwid --rules FILE`. A \
lake's `imaging.image_occurrence` takes its `anatomic_site_concept_id` from the code through the \
lake's own SNOMED concepts.",
    syntax_example = "body_part_region(body_part_examined)",
    sql_example = r#"```sql
> SELECT body_part_region('CHEST')['code'] AS chest, body_part_region('Abdomen Pelvis')['meaning'] AS ap, body_part_region('XYZ') IS NULL AS unknown;
+-----------+--------------------+---------+
| chest     | ap                 | unknown |
+-----------+--------------------+---------+
| 816094009 | Abdomen and Pelvis | true    |
+-----------+--------------------+---------+
```"#,
    argument(
        name = "body_part_examined",
        description = "The DICOM BodyPartExamined value."
    )
)]
#[derive(Debug)]
pub struct BodyPartRegion {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl BodyPartRegion {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
            rules,
        }
    }
}

same_rules_same_function!(BodyPartRegion);

fn region_fields() -> Fields {
    text_fields(&["code", "meaning", "rule"])
}

impl ScalarUDFImpl for BodyPartRegion {
    fn name(&self) -> &str {
        "body_part_region"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [t] if is_text(t) => Ok(DataType::Struct(region_fields())),
            _ => plan_err!(
                "body_part_region takes one text argument (BodyPartExamined), got {arg_types:?}"
            ),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
        let values = text_argument(&args.args[0], rows)?;
        let regions: Vec<_> = values
            .iter()
            .map(|value| value.and_then(|v| self.rules.body_parts.region(v)))
            .collect();
        let column =
            |field: fn(&rwid_methods::harmonize::body_parts::AnatomicRegion) -> &str| -> ArrayRef {
                Arc::new(
                    regions
                        .iter()
                        .map(|r| r.map(field))
                        .collect::<StringArray>(),
                )
            };
        let columns = vec![
            column(|r| &r.code),
            column(|r| &r.meaning),
            column(|r| &r.rule),
        ];
        let nulls = NullBuffer::from_iter(regions.iter().map(Option::is_some));
        let array = StructArray::try_new(region_fields(), columns, Some(nulls))?;
        debug_assert_eq!(array.len(), rows);
        crate::args::columnar(Arc::new(array), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
