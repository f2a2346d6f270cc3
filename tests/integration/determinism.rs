//! Same scenario, seed and flags: byte-identical output, whatever the
//! thread count or batch size.

use crate::common::{fixture, sim, stderr};

fn output(file: &std::path::Path, extra: &[&str]) -> Vec<u8> {
    let mut args: Vec<String> = vec![
        "run".into(),
        file.display().to_string(),
        "--branches".into(),
        "30000".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = sim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

#[test]
fn json_is_identical_across_threads_and_batch_sizes() {
    let file = fixture("harbour.toml");
    let reference = output(&file, &["--format", "json", "--threads", "1", "--batch-size", "4096"]);
    for (threads, batch) in [
        ("2", "4096"),
        ("7", "4096"),
        ("2", "1000"),
        ("7", "333"),
        ("1", "30000"),
    ] {
        let other = output(
            &file,
            &["--format", "json", "--threads", threads, "--batch-size", batch],
        );
        assert!(reference == other, "threads {threads}, batch {batch} differ");
    }
}

#[test]
fn table_and_csv_are_identical_across_threads() {
    let file = fixture("harbour.toml");
    for format in ["table", "csv"] {
        let a = output(&file, &["--format", format, "--threads", "1"]);
        let b = output(&file, &["--format", format, "--threads", "2", "--batch-size", "777"]);
        assert!(a == b, "{format} differs");
    }
}

#[test]
fn the_seed_changes_the_draws() {
    let file = fixture("harbour.toml");
    let a = output(&file, &["--format", "json", "--seed", "1"]);
    let b = output(&file, &["--format", "json", "--seed", "2"]);
    assert!(a != b);
}
