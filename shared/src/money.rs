//! Money on the wire: a two-place decimal string, always ("0.00", never "0"; a zero read from
//! Postgres arrives without its scale).

use rust_decimal::Decimal;
use serde::Serializer;

/// `amount` as the API and the emails show it.
pub fn format(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(2);
    amount.to_string()
}

/// `#[serde(serialize_with = "money::two_places")]` on an amount.
pub fn two_places<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*amount))
}

/// [`two_places`] for an optional amount.
pub fn optional_two_places<S: Serializer>(
    amount: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match amount {
        Some(amount) => two_places(amount, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[derive(serde::Serialize)]
    struct Priced {
        #[serde(serialize_with = "two_places")]
        price: Decimal,
    }

    #[test]
    fn zero_and_whole_amounts_keep_two_places() {
        for (amount, shown) in [
            ("0", "0.00"),
            ("5", "5.00"),
            ("9.9", "9.90"),
            ("12.34", "12.34"),
        ] {
            let priced = Priced {
                price: Decimal::from_str(amount).unwrap(),
            };
            assert_eq!(
                serde_json::to_value(&priced).unwrap()["price"],
                shown,
                "{amount}"
            );
        }
    }
}
