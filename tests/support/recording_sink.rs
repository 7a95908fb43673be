//! [`RecordingSink`]: a small fake of the CloudWatch seam that records what the handler writes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use ses_feedback_logger::storage::LogEvent;
use ses_feedback_logger::storage::{LogSink, WriteError};
use tokio::sync::Barrier;

/// Records every write; can fail one stream, or hold writes at a barrier.
#[derive(Default)]
pub struct RecordingSink {
    pub writes: Mutex<Vec<(String, Vec<LogEvent>)>>,
    pub failing_stream: Option<&'static str>,
    /// When set, every write waits here: only concurrent writes get through.
    pub barrier: Option<Barrier>,
    /// The first write to this stream never finishes (a hung connection); later ones do.
    pub hang_once: Mutex<Option<&'static str>>,
}

impl RecordingSink {
    pub fn failing(stream: &'static str) -> Self {
        RecordingSink {
            failing_stream: Some(stream),
            ..Default::default()
        }
    }

    pub fn streams(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (stream, entries) in self.writes.lock().unwrap().iter() {
            *counts.entry(stream.clone()).or_default() += entries.len();
        }
        counts
    }

    pub fn messages(&self, stream: &str) -> Vec<String> {
        let writes = self.writes.lock().unwrap();
        writes
            .iter()
            .filter(|(s, _)| s == stream)
            .flat_map(|(_, e)| e.iter().map(|e| e.message.clone()))
            .collect()
    }
}

impl LogSink for RecordingSink {
    async fn write(&self, stream: &str, entries: Vec<LogEvent>) -> Result<(), WriteError> {
        let hang = {
            let mut hang_once = self.hang_once.lock().unwrap();
            (*hang_once == Some(stream)).then(|| hang_once.take())
        };
        if hang.is_some() {
            std::future::pending::<()>().await;
        }
        if let Some(barrier) = &self.barrier {
            barrier.wait().await;
        }
        if self.failing_stream == Some(stream) {
            return Err(WriteError::Api {
                operation: "PutLogEvents",
                detail: "service unavailable".into(),
            });
        }
        self.writes
            .lock()
            .unwrap()
            .push((stream.to_owned(), entries));
        Ok(())
    }
}
