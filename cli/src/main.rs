//! `cinema`: the operator's commands. Each reads the same environment as the functions.

mod admin;
mod provision;

use cinema_shared::{aws, config::Config, db};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cinema", about = "Operate a Cinema deployment")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the database migrations that have not run yet.
    Migrate,
    /// Create the media bucket, the mail queue and its dead-letter queue if they are missing
    /// (local clouds; on AWS the SAM stack owns them).
    Provision,
    /// Make an account an active admin, creating it if needed. The password comes from
    /// CINEMA_ADMIN_PASSWORD or the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    cinema_shared::telemetry::init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command {
        Command::Migrate => {
            let pool = db::lazy_pool(&config)?;
            db::MIGRATOR.run(&pool).await?;
            println!("migrations applied");
        }
        Command::Provision => {
            let sdk = aws::load_sdk_config().await;
            provision::bucket(
                &aws::s3_client(&sdk, config.s3_force_path_style),
                &config.media_bucket,
            )
            .await?;
            provision::mail_queue(&aws::sqs_client(&sdk), &config.mail_queue_url).await?;
            println!(
                "bucket {} and queue {} ready",
                config.media_bucket, config.mail_queue_url
            );
        }
        Command::CreateAdmin { email } => {
            admin::create_admin(&db::lazy_pool(&config)?, &email).await?;
        }
    }
    Ok(())
}
