//! `combat_fit` + `combat_apply` reproduce neuroCombat 0.2.12 to 1e-8
//! relative, in every mode, on data sets with several batch sizes,
//! unbalanced batches and categorical and continuous covariates
//! (tests/fixtures/combat, written by tests/python/make_combat_fixtures.py,
//! which ran neuroCombat from PyPI on data it generates).

use rwid::datafusion::arrow::array::AsArray;
use rwid::datafusion::arrow::datatypes::{Float64Type, Int64Type};
use rwid::{RwidConfig, RwidContext};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/combat");

/// (data set, features, categorical columns, continuous columns)
const SETS: &[(&str, usize, &[&str], &[&str])] = &[
    ("balanced", 12, &["sex"], &["age"]),
    ("unbalanced", 20, &["sex", "diagnosis"], &["age", "bmi"]),
    ("small", 5, &[], &[]),
];

/// (mode file suffix, combat_fit options)
const MODES: &[(&str, &str)] = &[
    ("parametric", ""),
    ("nonparametric", "parametric=false"),
    ("mean_only", "mean_only=true"),
    ("no_eb", "eb=false"),
    ("reference", "ref_batch=site_B"),
];

async fn table(ctx: &RwidContext, name: &str, file: &str) {
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE {name} STORED AS CSV LOCATION '{FIXTURES}/{file}' OPTIONS ('format.has_header' 'true')"
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
}

/// (sample, values) rows of a query returning `sample` and a list or columns.
async fn rows(ctx: &RwidContext, sql: &str, features: usize) -> Vec<(i64, Vec<f64>)> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for batch in &batches {
        let samples = batch.column(0).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let values: Vec<f64> = if let Some(columns) = batch.column(1).as_struct_opt() {
                columns
                    .columns()
                    .iter()
                    .map(|c| c.as_primitive::<Float64Type>().value(row))
                    .collect()
            } else if batch.num_columns() == 2 {
                let list = batch.column(1).as_list::<i32>().value(row);
                list.as_primitive::<Float64Type>().values().to_vec()
            } else {
                (1..=features)
                    .map(|c| batch.column(c).as_primitive::<Float64Type>().value(row))
                    .collect()
            };
            out.push((samples.value(row), values));
        }
    }
    out
}

#[tokio::test]
async fn combat_matches_neurocombat_in_every_mode() {
    let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
    let mut report = Vec::new();
    for (set, features, categorical, continuous) in SETS {
        table(&ctx, &format!("{set}_input"), &format!("{set}_input.csv")).await;
        let list = |columns: Vec<String>| {
            if columns.is_empty() {
                "NULL".to_string()
            } else {
                format!("make_array({})", columns.join(", "))
            }
        };
        // Features as a list for two data sets, as a struct for the third:
        // both shapes give the same numbers.
        let names: Vec<String> = (1..=*features).map(|g| format!("f{g}")).collect();
        let feature_list = if *set == "unbalanced" {
            format!("struct({})", names.join(", "))
        } else {
            list(names)
        };
        let categorical = list(categorical.iter().map(|c| c.to_string()).collect());
        let continuous = list(
            continuous
                .iter()
                .map(|c| format!("CAST({c} AS DOUBLE)"))
                .collect(),
        );
        for (mode, options) in MODES {
            table(&ctx, &format!("{set}_{mode}"), &format!("{set}_{mode}.csv")).await;
            let actual = rows(
                &ctx,
                &format!(
                    "WITH m AS (SELECT combat_fit(batch, {feature_list}, {categorical}, {continuous}, '{options}') AS model
                                FROM {set}_input)
                     SELECT sample, combat_apply(m.model, batch, {feature_list}, {categorical}, {continuous})
                     FROM {set}_input, m ORDER BY sample"
                ),
                *features,
            )
            .await;
            let expected = rows(
                &ctx,
                &format!("SELECT * FROM {set}_{mode} ORDER BY sample"),
                *features,
            )
            .await;
            assert_eq!(actual.len(), expected.len(), "{set} {mode}");
            let mut worst: f64 = 0.0;
            for ((sample, a), (expected_sample, b)) in actual.iter().zip(&expected) {
                assert_eq!(sample, expected_sample);
                for (g, (x, y)) in a.iter().zip(b).enumerate() {
                    let error = (x - y).abs();
                    assert!(
                        error <= 1e-8 * y.abs() + 1e-10,
                        "{set} {mode}: sample {sample} feature {}: rwid {x}, neuroCombat {y}",
                        g + 1
                    );
                    worst = worst.max(error / y.abs().max(1e-300));
                }
            }
            report.push(format!("{set} {mode}: max relative error {worst:.1e}"));
        }
    }
    println!("{}", report.join("\n"));
}

/// Features with a NULL, a one-sample batch and an unknown batch at apply
/// time are errors that say what is wrong.
#[tokio::test]
async fn clear_errors() {
    let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
    let error = |sql: &'static str| {
        let ctx = &ctx;
        async move {
            match ctx.sql(sql).await {
                Ok(frame) => frame.collect().await.unwrap_err().to_string(),
                Err(e) => e.to_string(),
            }
        }
    };
    let null = error(
        "SELECT combat_fit(s, make_array(x, y)) FROM (VALUES ('A', 1.0, 2.0), ('A', NULL, 1.0)) AS t(s, x, y)",
    )
    .await;
    assert!(
        null.contains("sample 2 (batch 'A') has a NULL feature (1 of 2)"),
        "{null}"
    );
    let single = error(
        "SELECT combat_fit(s, make_array(x, y)) FROM (VALUES ('A', 1.0, 2.0), ('A', 2.0, 1.0), ('B', 3.0, 3.0)) AS t(s, x, y)",
    )
    .await;
    assert!(single.contains("batch 'B' has 1 sample"), "{single}");
    let unknown = error(
        "WITH t(s, x, y) AS (VALUES ('A', 1.0, 2.0), ('A', 2.0, 1.0), ('B', 3.0, 3.0), ('B', 5.0, 3.5)),
              m AS (SELECT combat_fit(s, make_array(x, y)) AS model FROM t)
         SELECT combat_apply(m.model, 'C', make_array(1.0, 2.0)) FROM m",
    )
    .await;
    assert!(
        unknown.contains("batch 'C' is not in the model"),
        "{unknown}"
    );
    let option = error("SELECT combat_fit('A', make_array(1.0), NULL, NULL, 'shrink=yes')").await;
    assert!(option.contains("unknown option 'shrink'"), "{option}");
}

/// A fitted model saved to Parquet or JSON and applied later, in another
/// session, harmonizes exactly as the model used in the same query.
#[tokio::test]
async fn a_saved_model_applies_later() {
    let dir = tempfile::tempdir().unwrap();
    let fit = format!(
        "SELECT combat_fit(batch, named_struct({}), make_array(sex), make_array(CAST(age AS DOUBLE))) AS model
         FROM balanced_input",
        (1..=12)
            .map(|g| format!("'f{g}', f{g}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let apply = |model: &str| {
        format!(
            "SELECT sample, combat_apply(m.model, batch, named_struct({}), make_array(sex), make_array(CAST(age AS DOUBLE))) AS h
             FROM balanced_input, ({model}) m ORDER BY sample",
            (1..=12)
                .map(|g| format!("'f{g}', f{g}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let session = || async {
        let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
        table(&ctx, "balanced_input", "balanced_input.csv").await;
        ctx
    };
    let ctx = session().await;
    let same_query = rows(&ctx, &apply(&fit), 12).await;
    let parquet = dir.path().join("model.parquet");
    let json = dir.path().join("model.json");
    for (file, format) in [(&parquet, "PARQUET"), (&json, "JSON")] {
        ctx.sql(&format!(
            "COPY ({fit}) TO '{}' STORED AS {format}",
            file.display()
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    }
    // A new session, as a later job would be.
    let later = session().await;
    for file in [&parquet, &json] {
        let saved = format!("SELECT model FROM '{}'", file.display());
        assert_eq!(
            rows(&later, &apply(&saved), 12).await,
            same_query,
            "{}",
            file.display()
        );
    }
    assert_eq!(same_query.len(), 60);
}
