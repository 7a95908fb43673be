use ses_feedback_logger::app::{logging, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // `ses-feedback-logger replay …` replays files; with no arguments it is the Lambda function.
    let mut args = std::env::args().skip(1);
    let replaying = args.next().is_some_and(|command| command == "replay");
    if replaying {
        // Standard output is the replay's report.
        logging::init(std::io::stderr);
    } else {
        logging::init(std::io::stdout);
    }
    let app = match App::from_env().await {
        Ok(app) => app,
        Err(error) => {
            // Lambda reports the init failure; this line says what is wrong.
            tracing::error!("cannot start: {error}");
            std::process::exit(1);
        }
    };
    if replaying {
        std::process::exit(app.replay(args).await);
    }
    app.run().await
}
