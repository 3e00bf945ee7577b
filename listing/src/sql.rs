//! A statement built at run time with its arguments kept beside it, so the same text can be
//! bound for the API and printed with literals for `psql`/`pgbench` (the benchmark runs exactly
//! what the endpoint runs).
//!
//! Values (ids, years, prices, page size and offset, search text) go into the text as
//! literals; only user ids are bound. A statement with parameters gets a fresh plan on every
//! call whenever Postgres judges its generic plan worse, which for a list is always (an unknown
//! `LIMIT`, filter value or search text looks expensive), and planning a list costs about as
//! much as running it. A text without parameters is planned once per connection and reused
//! from then on, so a popular list or search costs only its execution.

use rust_decimal::Decimal;
use sqlx::{Postgres, postgres::PgArguments, query::QueryScalar};
use uuid::Uuid;

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Text(String),
    Uuid(Uuid),
    Decimal(Decimal),
    Ints(Vec<i64>),
}

impl Arg {
    /// The value as a SQL literal of the same type.
    pub fn literal(&self) -> String {
        match self {
            // Parenthesized so a negative value stays one operand wherever it lands.
            Self::Int(v) => format!("({v})::bigint"),
            Self::Text(v) => format!("{}::text", quote_text(v)),
            Self::Uuid(v) => format!("'{v}'::uuid"),
            Self::Decimal(v) => format!("({v})::numeric"),
            Self::Ints(v) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                format!("'{{{}}}'::bigint[]", items.join(","))
            }
        }
    }
}

/// `text` as a string constant Postgres reads back unchanged, whatever the server's
/// `standard_conforming_strings`: an escape string (`E'...'`) with quotes and backslashes
/// doubled, as libpq's `PQescapeStringConn` does. The text must hold no NUL (Postgres text cannot,
/// and callers reject control characters before this).
pub fn quote_text(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// SQL text with `$n` placeholders and the arguments they stand for.
#[derive(Debug, Clone, Default)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    /// Adds an argument and returns what stands for it in the text: its literal, or a
    /// placeholder for a user id (one statement per user would only fill the statement cache).
    pub fn arg(&mut self, value: Arg) -> String {
        match value {
            Arg::Int(_) | Arg::Decimal(_) | Arg::Ints(_) | Arg::Text(_) => value.literal(),
            Arg::Uuid(_) => {
                self.args.push(value);
                format!("${}", self.args.len())
            }
        }
    }

    /// The text with every placeholder replaced by its literal (highest numbers first, so `$1`
    /// does not eat the start of `$12`).
    pub fn with_literals(&self) -> String {
        let mut sql = self.sql.clone();
        for (index, arg) in self.args.iter().enumerate().rev() {
            sql = sql.replace(&format!("${}", index + 1), &arg.literal());
        }
        sql
    }

    /// A query returning one scalar per row, with every argument bound.
    pub fn query_scalar<'q, T>(&'q self) -> QueryScalar<'q, Postgres, T, PgArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut query = sqlx::query_scalar(&self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_str()),
                Arg::Uuid(v) => query.bind(*v),
                Arg::Decimal(v) => query.bind(*v),
                Arg::Ints(v) => query.bind(v.as_slice()),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_replace_placeholders_without_clashes() {
        let mut statement = Statement::default();
        let mut placeholders = Vec::new();
        for n in 0..12 {
            placeholders.push(statement.arg(Arg::Uuid(Uuid::from_u128(n))));
        }
        statement.sql = format!("SELECT {}, {}", placeholders[0], placeholders[11]);
        assert_eq!(statement.sql, "SELECT $1, $12");
        assert_eq!(
            statement.with_literals(),
            "SELECT '00000000-0000-0000-0000-000000000000'::uuid, \
             '00000000-0000-0000-0000-00000000000b'::uuid"
        );
    }

    #[test]
    fn numbers_are_written_into_the_text() {
        let mut statement = Statement::default();
        let year = statement.arg(Arg::Int(-5));
        let price = statement.arg(Arg::Decimal(Decimal::new(999, 2)));
        let ids = statement.arg(Arg::Ints(vec![3, 4]));
        assert_eq!(
            [year, price, ids],
            ["(-5)::bigint", "(9.99)::numeric", "'{3,4}'::bigint[]"]
        );
        assert!(statement.args.is_empty());
    }

    #[test]
    fn text_literals_double_quotes_and_backslashes() {
        assert_eq!(Arg::Text("it's".into()).literal(), "E'it''s'::text");
        assert_eq!(
            quote_text(r"a\'); DROP TABLE movies; --"),
            r"E'a\\''); DROP TABLE movies; --'"
        );
        assert_eq!(quote_text(r"\"), r"E'\\'");
        assert_eq!(Arg::Ints(vec![1, 2]).literal(), "'{1,2}'::bigint[]");
    }
}
