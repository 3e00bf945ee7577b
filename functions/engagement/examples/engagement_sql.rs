//! Prints the exact SQL statement of an engagement list, with its `$n` parameters, for
//! `PREPARE`, `EXPLAIN ANALYZE` and the benchmark (bench/engagement.sh):
//!
//! ```text
//! cargo run -p cinema-engagement --example engagement_sql -- threads [oldest] [viewer]
//! cargo run -p cinema-engagement --example engagement_sql -- replies [viewer]
//! cargo run -p cinema-engagement --example engagement_sql -- notifications [unread]
//! ```
//!
//! Comments: `$1` the movie or comment, `$2`/`$3` limit and offset, with `viewer` `$4`/`$5` the
//! viewer's account and session. Notifications: `$1`/`$2` the caller's account and session,
//! `$3`/`$4` limit and offset.

use cinema_engagement::statements::{CommentListing, CommentOrder, notifications};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().skip(1).any(|arg| arg == flag);
    let sql = match args.first().map(String::as_str) {
        Some("threads") => {
            let order = if has("oldest") {
                CommentOrder::Oldest
            } else {
                CommentOrder::Newest
            };
            CommentListing::threads(order).sql(has("viewer"))
        }
        Some("replies") => CommentListing::replies().sql(has("viewer")),
        Some("notifications") => notifications(has("unread")),
        _ => {
            eprintln!(
                "usage: engagement_sql threads [oldest] [viewer] | replies [viewer] | notifications [unread]"
            );
            std::process::exit(2);
        }
    };
    println!("{sql}");
}
