//! `cinema`: the operator's commands. Each reads the same environment as the functions.

mod admin;
mod bench_queue;
mod generate;
mod generate_commerce;
mod generate_engagement;
mod generate_webhooks;
mod names;
mod provision;
mod seed;

use cinema_shared::{
    aws,
    config::{Config, DatabaseConfig},
    db,
};
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
    /// Print the OpenAPI document the API serves (for client generators and validators).
    Openapi,
    /// Load the demo catalog (a few hundred made-up movies with their people, genres and
    /// certifications) and the demo accounts moderator@cinema.local and user@cinema.local.
    /// Idempotent.
    SeedDemo,
    /// Generate comments, likes and notifications for benchmarks over an existing catalog:
    /// 50,000 comments on its most voted movie, 10,000 notifications for one viewer.
    GenerateEngagement {
        /// Replace the comments and notifications made before.
        #[arg(long)]
        reset: bool,
    },
    /// Generate buyers, carts, orders and purchases for benchmarks over an existing catalog:
    /// 100,000 buyers with 1,000,000 order lines.
    GenerateCommerce {
        /// Write an access token per cart-holding buyer here, one per line (bench users only).
        #[arg(long)]
        tokens_file: Option<std::path::PathBuf>,
        /// Replace the orders and carts made before.
        #[arg(long)]
        reset: bool,
    },
    /// Pending orders with their Checkout Sessions and, in `--out`, a signed
    /// `checkout.session.completed` delivery for each (the webhook benchmark).
    GenerateWebhookEvents {
        #[arg(long, default_value_t = 40_000)]
        orders: i64,
        /// The webhook secret the API under test checks signatures with.
        #[arg(long, env = "STRIPE_WEBHOOK_SECRET")]
        secret: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Serve an SQS endpoint that takes every message and keeps nothing, for benchmarks that
    /// measure the relay's path without a queue server on the machine.
    BenchQueue {
        #[arg(long, default_value = "127.0.0.1:9325")]
        addr: String,
    },
    /// Generate a large catalog for benchmarks, made inside Postgres.
    GenerateCatalog {
        #[arg(long, default_value_t = 100_000)]
        movies: i64,
        /// Directors (a fifth) and stars (the rest).
        #[arg(long, default_value_t = 20_000)]
        people: i64,
        /// Ratings plus reactions, half each.
        #[arg(long, default_value_t = 1_000_000)]
        interactions: i64,
        /// Replace an existing catalog (it is deleted first).
        #[arg(long)]
        reset: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    cinema_shared::telemetry::init();
    let cli = Cli::parse();
    // The only command that needs no settings: the document is built from the routes alone.
    if let Command::Openapi = cli.command {
        println!("{}", cinema_gateway::openapi::document().to_pretty_json()?);
        return Ok(());
    }
    if let Command::BenchQueue { addr } = &cli.command {
        return bench_queue::serve(addr).await;
    }
    // Operator work (migrations, generators) may run longer than any request may.
    let database = DatabaseConfig {
        statement_timeout: std::time::Duration::ZERO,
        ..DatabaseConfig::from_env()?
    };
    match cli.command {
        Command::Migrate => {
            let pool = db::lazy_pool(&database)?;
            db::MIGRATOR.run(&pool).await?;
            println!("migrations applied");
        }
        Command::Provision => {
            let config = Config::from_env()?;
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
        Command::Openapi | Command::BenchQueue { .. } => {
            unreachable!("answered before the settings are read")
        }
        Command::CreateAdmin { email } => {
            admin::create_admin(&db::lazy_pool(&database)?, &email).await?;
        }
        Command::SeedDemo => {
            let movies = seed::seed_demo(&db::lazy_pool(&database)?).await?;
            println!(
                "demo catalog ready ({movies} movies); sign in as {} / {} or {} / {}",
                seed::MODERATOR_EMAIL,
                seed::MODERATOR_PASSWORD,
                seed::USER_EMAIL,
                seed::USER_PASSWORD
            );
        }
        Command::GenerateCommerce { tokens_file, reset } => {
            let config = Config::from_env()?;
            generate_commerce::generate(
                &db::lazy_pool(&database)?,
                &config.jwt,
                tokens_file.as_deref(),
                reset,
            )
            .await?;
        }
        Command::GenerateWebhookEvents {
            orders,
            secret,
            out,
        } => {
            generate_webhooks::generate(&db::lazy_pool(&database)?, orders, &secret, &out).await?;
        }
        Command::GenerateEngagement { reset } => {
            generate_engagement::generate(&db::lazy_pool(&database)?, reset).await?;
        }
        Command::GenerateCatalog {
            movies,
            people,
            interactions,
            reset,
        } => {
            let sizes = generate::Sizes {
                movies,
                people,
                interactions,
            };
            generate::generate(&db::lazy_pool(&database)?, sizes, reset).await?;
        }
    }
    Ok(())
}
