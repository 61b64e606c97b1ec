//! docs/functions.md is generated from the functions' documentation; it must be current.

#[test]
fn function_reference_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/functions.md");
    let generated = rwid::docs::functions_markdown().unwrap();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/functions.md is stale: run `UPDATE_DOCS=1 cargo test --test integration functions_doc` \
         (or `cargo run -- functions-doc > docs/functions.md`) and commit it"
    );
}

/// Every function's documented example runs and prints exactly what the documentation shows.
#[tokio::test]
async fn documented_examples_are_true() {
    use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
    let ctx = rwid::RwidContext::new(rwid::RwidConfig::default())
        .await
        .unwrap();
    let scalar = rwid::udfs::all_scalar_functions();
    let aggregate = rwid::udfs::all_aggregate_functions();
    let window = rwid::udfs::all_window_functions();
    let documented = scalar
        .iter()
        .map(|f| (f.name(), f.documentation()))
        .chain(aggregate.iter().map(|f| (f.name(), f.documentation())))
        .chain(window.iter().map(|f| (f.name(), f.documentation())));
    for (name, doc) in documented {
        let doc = doc.unwrap();
        let example = doc
            .sql_example
            .as_deref()
            .expect("every rwid function has an example");
        let body = example
            .trim()
            .strip_prefix("```sql")
            .and_then(|s| s.strip_suffix("```"))
            .expect("example is a ```sql block");
        let mut lines = body.trim().lines();
        let query = lines.next().unwrap().trim_start_matches("> ").to_string();
        let expected: Vec<&str> = lines.map(str::trim_end).collect();
        let batches = ctx.sql(&query).await.unwrap().collect().await.unwrap();
        let actual = pretty_format_batches(&batches).unwrap().to_string();
        let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
        assert_eq!(actual, expected, "example of {name}");
    }
}
