//! A lake on S3: `--lake s3://bucket/prefix/` against a real S3-protocol
//! server (moto) on 127.0.0.1.
//!
//! `.ci/run` installs moto and sets `RWID_MOTO_SERVER`; without moto the test
//! says so and passes, unless `RWID_REQUIRE_TOOLS` is set (as in CI).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

const BUCKET: &str = "rwid-lake";

/// A moto S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RWID_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    })
}

fn start_moto() -> Option<Moto> {
    let Some(executable) = moto_executable() else {
        assert!(
            std::env::var_os("RWID_REQUIRE_TOOLS").is_none(),
            "RWID_REQUIRE_TOOLS is set but moto_server was not found (set RWID_MOTO_SERVER)"
        );
        eprintln!("skipping: moto_server not found; `.ci/run` installs it");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&executable)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", executable.display()));
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// moto accepts unsigned requests; a bare HTTP PUT creates the bucket.
fn create_bucket(endpoint: &str, bucket: &str) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// The test bucket on moto, as the tests upload to it.
fn bucket_store(endpoint: &str) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .with_region("us-east-1")
        .build()
        .unwrap()
}

fn s3_env(command: &mut Command, endpoint: &str) {
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT", endpoint)
        .env("AWS_ALLOW_HTTP", "true");
}

async fn upload_folder(store: &dyn ObjectStore, local: &Path, prefix: &str) -> usize {
    let mut uploaded = 0;
    let mut folders = vec![local.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(local)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).unwrap();
            store
                .put(
                    &ObjectPath::from(format!("{prefix}/{relative}")),
                    PutPayload::from(bytes),
                )
                .await
                .unwrap();
            uploaded += 1;
        }
    }
    uploaded
}

fn rwid(endpoint: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rwid"));
    command.args(args);
    s3_env(&mut command, endpoint);
    command.output().unwrap()
}

#[tokio::test]
async fn lake_on_s3_queries_like_a_local_lake() {
    let Some(moto) = start_moto() else { return };
    create_bucket(&moto.endpoint, BUCKET);
    let store = bucket_store(&moto.endpoint);

    let dir = tempfile::tempdir().unwrap();
    let lake = rwid::demo::generate(&dir.path().join("lake"), 12, 4).unwrap();
    for schema in ["clinical", "imaging"] {
        assert!(
            upload_folder(&store, &lake.root.join(schema), &format!("demo/{schema}")).await > 0
        );
    }

    // Results of `sql` in the rwid shell over the lake at `lake` (CSV).
    let run = |lake: &str, sql: &str| {
        let output = rwid(
            &moto.endpoint,
            &["--lake", lake, "-q", "--format", "csv", "-c", sql],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let local_lake = lake.root.to_str().unwrap();
    let remote_lake = format!("s3://{BUCKET}/demo/");

    let sql = "SELECT count(DISTINCT p.person_id) AS persons, count(DISTINCT l.site) AS sites \
               FROM clinical.person p JOIN imaging.patient_link l ON l.person_id = p.person_id";
    let remote = run(&remote_lake, sql);
    assert_eq!(remote, run(local_lake, sql));
    assert!(remote.starts_with("persons,sites\n12,"));

    // A scan under DISTINCT is read from S3 as runs of dictionary keys (a
    // patient's lesion measurements are consecutive rows).
    let sql = "SELECT count(DISTINCT person_id) AS persons FROM imaging.lesion_measurement";
    let remote = run(&remote_lake, sql);
    assert_eq!(remote, run(local_lake, sql));
    let plan = run(&remote_lake, &format!("EXPLAIN ANALYZE {sql}"));
    assert!(plan.contains("row_groups_read_as_runs=1"), "{plan}");

    // No trailing slash works too, and the tables are listed by \d's query.
    let tables = run(
        &format!("s3://{BUCKET}/demo"),
        "SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema IN ('clinical', 'imaging')",
    );
    // 8 clinical tables with concept and concept_relationship, patient_link,
    // lesion_measurement, image_feature, radiomics_features and the
    // recist_timepoints view (the bucket holds no DICOM).
    assert_eq!(tables, "tables\n15\n");

    // Large row groups are read in pieces from local files only: from S3
    // each piece would download the whole row group.
    let settings = "SET datafusion.execution.target_partitions = 2; \
                    SET datafusion.execution.batch_size = 8; \
                    SET rwid.scan_piece_min_rows = 8;";
    let query = "SELECT measurement_source_value, count(*) AS n FROM clinical.measurement \
                 GROUP BY 1 ORDER BY 1";
    let explain = format!("{settings} EXPLAIN {query}");
    let pieces = |plan: &str| plan.matches("measurement/part-0.parquet").count();
    assert!(pieces(&run(local_lake, &explain)) > 1);
    assert_eq!(pieces(&run(&remote_lake, &explain)), 1);
    assert_eq!(
        run(local_lake, &format!("{settings} {query}")),
        run(&remote_lake, &format!("{settings} {query}"))
    );
}

#[tokio::test]
async fn missing_bucket_is_a_clear_error() {
    let Some(moto) = start_moto() else { return };
    let out = rwid(
        &moto.endpoint,
        &["--lake", "s3://no-such-bucket/lake/", "-c", "SELECT 1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("s3://no-such-bucket/lake/"), "{err}");
}

#[tokio::test]
async fn read_dicom_over_s3_matches_the_local_scan() {
    let Some(moto) = start_moto() else { return };
    create_bucket(&moto.endpoint, BUCKET);
    let store = bucket_store(&moto.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let lake = rwid::demo::generate(&dir.path().join("lake"), 6, 9).unwrap();
    let uploaded = upload_folder(&store, &lake.root.join("dicom"), "archive").await;
    assert!(uploaded > 20, "{uploaded}");

    // Same rows from disk and from S3 (ranged GETs), broken files included.
    let sql = |location: &str| {
        format!(
            "SELECT Modality, Manufacturer, count(*) AS files, count(read_error) AS unreadable, \
                    count(DISTINCT SeriesInstanceUID) AS series, sum(file_size) AS bytes \
             FROM read_dicom('{location}') GROUP BY 1, 2 ORDER BY 1, 2"
        )
    };
    let local_dicom = format!("{}/", lake.root.join("dicom").display());
    let local = Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args(["-q", "--format", "csv", "-c", &sql(&local_dicom)])
        .output()
        .unwrap();
    let remote = rwid(
        &moto.endpoint,
        &[
            "-q",
            "--format",
            "csv",
            "-c",
            &sql(&format!("s3://{BUCKET}/archive/")),
        ],
    );
    assert!(
        remote.status.success(),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&remote.stdout),
        String::from_utf8_lossy(&local.stdout)
    );
    assert!(String::from_utf8_lossy(&remote.stdout).lines().count() > 2);

    // file_path names the object by URL.
    let paths = rwid(
        &moto.endpoint,
        &[
            "-q",
            "--format",
            "csv",
            "-c",
            &format!(
                "SELECT file_path FROM read_dicom('s3://{BUCKET}/archive/') ORDER BY 1 LIMIT 1"
            ),
        ],
    );
    assert!(
        String::from_utf8_lossy(&paths.stdout).contains(&format!("s3://{BUCKET}/archive/")),
        "{}",
        String::from_utf8_lossy(&paths.stdout)
    );
}
