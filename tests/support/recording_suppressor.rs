//! [`RecordingSuppressor`]: a fake of the suppression seam that records every address it is asked to suppress.

use std::sync::Mutex;

use ses_feedback_logger::operations::suppression::{SuppressError, SuppressionReason, Suppressor};

#[derive(Default)]
pub struct RecordingSuppressor {
    pub calls: Mutex<Vec<(String, SuppressionReason)>>,
}

impl Suppressor for RecordingSuppressor {
    async fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
    ) -> Result<(), SuppressError> {
        self.calls
            .lock()
            .unwrap()
            .push((address.to_owned(), reason));
        Ok(())
    }
}
