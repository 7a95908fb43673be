//! Replay by the built binary (`ses-feedback-logger replay`) against moto: the mixed file of every shape and
//! standard input. The same file through the handler is in tests/offline/replay.rs.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::support::events::replay_mixed_streams;
use crate::support::{cloudwatch_client, moto_endpoint, read_stream, stream_names, unique_name};

const MIXED: &str = include_str!("../../events/replay-mixed.jsonl");

/// Runs the built binary's `replay` with moto as CloudWatch Logs.
async fn run_replay(group: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ses-feedback-logger"))
        .arg("replay")
        .args(args)
        .env_clear()
        .env("AWS_ENDPOINT_URL", moto_endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("LOG_GROUP_NAME", group)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_replays_a_mixed_file_into_cloudwatch_and_reports_in_json() {
    let group = unique_name("/replay/mixed");
    let (code, stdout, stderr) =
        run_replay(&group, &["--json", "events/replay-mixed.jsonl"], "").await;
    assert_eq!(code, 1, "unusable lines make the exit status 1\n{stderr}");
    let report: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["doneLines"], serde_json::json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(report["unusableLines"][0]["line"], 8);
    assert_eq!(report["unusableLines"][1]["line"], 9);
    assert!(
        !stderr.contains('@'),
        "an address in the replay's own log:\n{stderr}"
    );

    let client = cloudwatch_client(&moto_endpoint()).await;
    let mut streams = stream_names(&client, &group).await;
    streams.sort();
    let expected: Vec<String> = replay_mixed_streams()
        .keys()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(streams, expected);
    for (stream, events) in replay_mixed_streams() {
        assert_eq!(
            read_stream(&client, &group, stream).await.len() as u64,
            events,
            "{stream}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_replays_standard_input_and_exits_zero_when_everything_is_stored() {
    let group = unique_name("/replay/stdin");
    let usable: String = MIXED.lines().take(6).map(|l| format!("{l}\n")).collect();
    let (code, stdout, stderr) = run_replay(&group, &[], &usable).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.is_empty(),
        "the text report goes to standard error: {stdout}"
    );
    assert!(
        stderr.contains("replayed 6 lines holding 6 messages"),
        "{stderr}"
    );
    assert!(stderr.contains("Send: 2 log events written"), "{stderr}");

    let (code, _, stderr) = run_replay(&group, &["no-such-file.jsonl"], "").await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read no-such-file.jsonl"),
        "{stderr}"
    );
}
