//! Prints the exact SQL statement of a sales report, with its `$n` parameters, for `PREPARE`,
//! `EXPLAIN ANALYZE` and the benchmark (bench/commerce.sh):
//!
//! ```text
//! cargo run -p cinema-commerce --example commerce_sql -- sales day|movie|genre
//! ```
//!
//! `$1`/`$2` the range, `$3`/`$4` its first and last folded midnight (`sales_report_span`),
//! `$5`/`$6` limit and offset; by movie, `$7` the span's number of lines.

use cinema_commerce::statements::{SalesGroup, sales};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let group = match (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    ) {
        (Some("sales"), Some("day")) => SalesGroup::Day,
        (Some("sales"), Some("movie")) => SalesGroup::Movie,
        (Some("sales"), Some("genre")) => SalesGroup::Genre,
        _ => {
            eprintln!("usage: commerce_sql sales day|movie|genre");
            std::process::exit(2);
        }
    };
    println!("{}", sales(group));
}
