//! A statement built at run time with its arguments kept beside it, so the same text can be
//! bound for the API and printed with literals for `psql`/`pgbench` (the benchmark runs exactly
//! what the endpoint runs).

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
            Self::Int(v) => format!("{v}::bigint"),
            Self::Text(v) => format!("'{}'::text", v.replace('\'', "''")),
            Self::Uuid(v) => format!("'{v}'::uuid"),
            Self::Decimal(v) => format!("{v}::numeric"),
            Self::Ints(v) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                format!("'{{{}}}'::bigint[]", items.join(","))
            }
        }
    }
}

/// SQL text with `$n` placeholders and the arguments they stand for.
#[derive(Debug, Clone, Default)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
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
            placeholders.push(statement.arg(Arg::Int(n)));
        }
        statement.sql = format!("SELECT {} + {}", placeholders[0], placeholders[11]);
        assert_eq!(statement.with_literals(), "SELECT 0::bigint + 11::bigint");
    }

    #[test]
    fn text_literals_are_quoted() {
        assert_eq!(Arg::Text("it's".into()).literal(), "'it''s'::text");
        assert_eq!(Arg::Ints(vec![1, 2]).literal(), "'{1,2}'::bigint[]");
    }
}
