//! `ct_kernel_class`: the sharpness class of a CT reconstruction kernel.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Fields};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{is_text, text_argument, text_fields};
use crate::same_rules_same_function;
use rwid_methods::harmonize::kernels::KernelClass;
use rwid_methods::harmonize::vendors::VendorKind;
use rwid_methods::rule_tables::RuleTables;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "The sharpness class of a CT reconstruction kernel (ConvolutionKernel, \
(0018,1210)) on a scanner of the given Manufacturer, as a struct: `class` (`smooth`, `medium`, \
`sharp`, `special` for QA kernels, NULL when no rule knows the kernel), `vendor` (as \
`scanner_vendor` reads the Manufacturer) and `rule` (which rule decided, with the rule file's \
version). Kernels are read per vendor from the versioned table `methods/rules/ct_kernels.toml`: \
Siemens by the resolution index after the family letters (up to 41 smooth, 42-49 medium, 50 and \
up sharp; U kernels sharp; S80/S90 special), GE by name (STANDARD, SOFT smooth; DETAIL, CHEST \
medium; LUNG, BONE, BONEPLUS, EDGE sharp), Philips by letter (A, B smooth; C medium; D, E, L, Y* \
sharp), Canon/Toshiba by FC number, United Imaging by B_SOFT / B_SHARP / L_ names; sites add \
their own protocol kernels with `rwid --rules FILE`. Only the first value of a multi-valued \
kernel counts (Siemens' `Br40d\\3`); a list (read_dicom's ConvolutionKernel) is read the same \
way. Why it matters: Zhao B et al., Transl Oncol 2014;7:88-93 (lung vs standard kernels change \
radiomic features).",
    syntax_example = "ct_kernel_class(manufacturer, kernel)",
    sql_example = r#"```sql
> SELECT ct_kernel_class('SIEMENS', 'Br40d')['class'] AS a, ct_kernel_class('SIEMENS', 'Bl57d')['class'] AS b, ct_kernel_class('GE MEDICAL SYSTEMS', 'LUNG')['class'] AS c, ct_kernel_class('Philips', 'C')['class'] AS d, ct_kernel_class('TOSHIBA', 'FC13')['class'] AS e;
+--------+-------+-------+--------+--------+
| a      | b     | c     | d      | e      |
+--------+-------+-------+--------+--------+
| smooth | sharp | sharp | medium | smooth |
+--------+-------+-------+--------+--------+
```"#,
    argument(name = "manufacturer", description = "The DICOM Manufacturer value."),
    argument(
        name = "kernel",
        description = "ConvolutionKernel: text, or a list whose first value is used."
    )
)]
#[derive(Debug)]
pub struct CtKernelClass {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl CtKernelClass {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
            rules,
        }
    }
}

/// One row's canonical vendor and kernel class.
type Decided = (Option<String>, KernelClass);

fn fields() -> Fields {
    text_fields(&["class", "vendor", "rule"])
}

same_rules_same_function!(CtKernelClass);

impl ScalarUDFImpl for CtKernelClass {
    fn name(&self) -> &str {
        "ct_kernel_class"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [manufacturer, kernel]
                if is_text(manufacturer)
                    && (is_text(kernel)
                        || matches!(kernel, DataType::List(item) if is_text(item.data_type()))) =>
            {
                Ok(DataType::Struct(fields()))
            }
            _ => plan_err!(
                "ct_kernel_class takes (manufacturer, kernel) as text (kernel may be a list of text), got {arg_types:?}"
            ),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
        let manufacturers = text_argument(&args.args[0], rows)?;
        let kernels = text_argument(&args.args[1], rows)?;
        let decided: Vec<Option<Decided>> = manufacturers
            .iter()
            .zip(kernels.iter())
            .map(|(manufacturer, kernel)| {
                let kernel = kernel?;
                let vendor = manufacturer
                    .map(|m| self.rules.vendors.classify(m))
                    .filter(|m| m.kind == VendorKind::Scanner)
                    .and_then(|m| m.name);
                let class = self.rules.kernels.classify(vendor.as_deref(), kernel);
                Some((vendor, class))
            })
            .collect();
        let column = |f: &dyn Fn(&Decided) -> Option<String>| -> ArrayRef {
            Arc::new(
                decided
                    .iter()
                    .map(|d| d.as_ref().and_then(f))
                    .collect::<StringArray>(),
            )
        };
        let columns = vec![
            column(&|(_, c)| c.class.clone()),
            column(&|(v, _)| v.clone()),
            column(&|(_, c)| Some(c.rule.clone())),
        ];
        let nulls = NullBuffer::from(decided.iter().map(Option::is_some).collect::<Vec<_>>());
        let array = StructArray::try_new(fields(), columns, Some(nulls))?;
        crate::args::columnar(Arc::new(array), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
