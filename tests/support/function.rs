//! The built `ses-feedback-logger` binary as a child process polling a [`super::RuntimeApi`].

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// The environment Lambda gives a function that `lambda_runtime::Config::from_env` and the AWS SDK read.
/// Credentials are moto's dummy ones; no endpoint is set, so pass `AWS_ENDPOINT_URL` in `envs`.
const LAMBDA_ENV: &[(&str, &str)] = &[
    ("AWS_LAMBDA_FUNCTION_NAME", "ses-feedback-logger"),
    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
    ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
    (
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "/aws/lambda/ses-feedback-logger",
    ),
    (
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
    ),
    ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_SESSION_TOKEN", "testing"),
    // No instance metadata service here: never let the SDK wait for one.
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("RUST_BACKTRACE", "1"),
];

/// Starts the function binary against the Runtime API at `runtime_api_addr` (`host:port`), with Lambda's
/// environment plus `envs` (which win over the defaults). The process starts from an empty environment so
/// nothing from the developer's shell (AWS_PROFILE, AWS_ENDPOINT_URL, ...) leaks in; only `RUST_LOG` is passed
/// through. stdout and stderr are captured continuously (a full pipe would block the function) and the
/// process is killed if the [`FunctionProcess`] is dropped.
pub fn spawn_function(runtime_api_addr: &str, envs: &[(&str, &str)]) -> FunctionProcess {
    spawn_command(
        &[env!("CARGO_BIN_EXE_ses-feedback-logger")],
        runtime_api_addr,
        envs,
    )
}

/// [`spawn_function`] with another command line: `program[0]` with the rest as its arguments (the runtime
/// benchmark: an earlier build of the binary, or the binary under a profiler).
pub fn spawn_command(
    program: &[&str],
    runtime_api_addr: &str,
    envs: &[(&str, &str)],
) -> FunctionProcess {
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .env_clear()
        .envs(LAMBDA_ENV.iter().copied())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api_addr)
        .envs(std::env::var("RUST_LOG").ok().map(|v| ("RUST_LOG", v)))
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .expect("start the ses-feedback-logger binary");
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let drains = vec![
        drain(child.stdout.take().expect("piped stdout"), stdout.clone()),
        drain(child.stderr.take().expect("piped stderr"), stderr.clone()),
    ];
    FunctionProcess {
        child,
        stdout,
        stderr,
        drains,
    }
}

/// A running function process and what it has printed so far.
pub struct FunctionProcess {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    drains: Vec<JoinHandle<()>>,
}

/// What a finished function process left behind.
#[derive(Debug)]
pub struct FunctionOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl FunctionProcess {
    /// The process id (None once it has been reaped).
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// The underlying child, e.g. for `try_wait` or sending a signal. Its stdout/stderr are already taken.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Everything written to stdout so far (where the function's own log goes).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().expect("stdout lock")).into_owned()
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr lock")).into_owned()
    }

    /// Kills the process (SIGKILL, if it is still running) and returns its output.
    pub async fn kill(mut self) -> FunctionOutput {
        if self.child.try_wait().expect("poll the child").is_none() {
            // It may exit on its own between the two calls; killing a zombie is harmless.
            let _ = self.child.start_kill();
        }
        self.wait().await
    }

    /// Waits for the process to exit by itself (e.g. after an init error) and returns its output. Wrap in
    /// `tokio::time::timeout`: a healthy function never exits.
    pub async fn wait(mut self) -> FunctionOutput {
        let status = self.child.wait().await.expect("wait for the child");
        // The pipes reach EOF once the process is gone, so the drains finish.
        for drain in self.drains.drain(..) {
            drain.await.expect("output drain task");
        }
        FunctionOutput {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

fn drain(
    mut pipe: impl AsyncRead + Unpin + Send + 'static,
    sink: Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = pipe.read(&mut buf).await {
            sink.lock()
                .expect("output lock")
                .extend_from_slice(&buf[..n]);
        }
    })
}
