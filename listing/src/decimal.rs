//! Decimal amounts as the catalog takes them: strings of one plain shape, checked before they
//! are parsed, so the pattern the OpenAPI document states is exactly what is accepted (a decimal
//! parser on its own also takes signs, underscores and any number of places).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, de};
use utoipa::openapi::{ObjectBuilder, Type};

/// The digits before the point of a price: what `numeric(10, 2)` holds.
pub const PRICE_DIGITS: usize = 8;
/// The digits before the point of a box-office gross: what `numeric(14, 2)` holds.
pub const GROSS_DIGITS: usize = 12;

/// Money with at most `digits` digits before the point: no sign, no leading zero, at most two
/// places (`"9.99"`, `"0.5"`, `"12"`).
pub fn money_pattern(digits: usize) -> String {
    format!(r"^(0|[1-9][0-9]{{0,{}}})(\.[0-9]{{1,2}})?$", digits - 1)
}

fn is_money(text: &str, digits: usize) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = whole == "0"
        || (!whole.is_empty()
            && whole.len() <= digits
            && !whole.starts_with('0')
            && all_digits(whole));
    let fraction_ok = fraction.is_none_or(|part| (1..=2).contains(&part.len()) && all_digits(part));
    whole_ok && fraction_ok
}

/// `text` as money of [`money_pattern`]`(digits)`, or the message for its field.
pub fn money(text: &str, digits: usize) -> Result<Decimal, String> {
    if !is_money(text, digits) {
        return Err(format!(
            "must be a decimal string with at most {digits} digits before the point and two \
             after it, such as \"9.99\""
        ));
    }
    text.parse().map_err(|err| format!("{err}"))
}

/// The schema of money with at most `digits` digits before the point.
pub fn money_schema(digits: usize, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(money_pattern(digits)))
        .description(Some(format!(
            "A decimal string: at most {digits} digits before the point and two after it, no \
             sign, no leading zero."
        )))
        .examples([example])
}

/// An IMDb score filter: 0 to 10 with at most one decimal place (`"7.5"`).
pub const IMDB_PATTERN: &str = r"^(10(\.0)?|[0-9](\.[0-9])?)$";

fn is_imdb(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes {
        [b'1', b'0'] | [b'1', b'0', b'.', b'0'] => true,
        [d] | [d, b'.', _] if d.is_ascii_digit() => bytes.len() == 1 || bytes[2].is_ascii_digit(),
        _ => false,
    }
}

/// For `#[serde(deserialize_with)]` on an optional IMDb filter.
pub fn imdb_filter<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Decimal>, D::Error> {
    let text = String::deserialize(de)?;
    if !is_imdb(&text) {
        return Err(de::Error::custom(
            "must be 0 to 10 with at most one decimal place, such as \"7.5\"",
        ));
    }
    text.parse().map(Some).map_err(de::Error::custom)
}

/// For `#[serde(deserialize_with)]` on an optional price filter.
pub fn price_filter<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Decimal>, D::Error> {
    let text = String::deserialize(de)?;
    money(&text, PRICE_DIGITS)
        .map(Some)
        .map_err(de::Error::custom)
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;

    const SAMPLES: &[&str] = &[
        "",
        "0",
        "00",
        "0.5",
        "0.50",
        "0.505",
        ".5",
        "5.",
        "9.99",
        "+9.99",
        "-1",
        "1_000",
        "1e3",
        "12345678",
        "123456789",
        "99999999.99",
        "010",
        "10",
        "10.0",
        "10.1",
        "11",
        "7.5",
        "7.55",
        " 7.5",
        "7,5",
        "٣",
        "1.٣",
    ];

    #[test]
    fn the_checks_accept_what_their_patterns_match() {
        let price = Regex::new(&money_pattern(PRICE_DIGITS)).unwrap();
        let gross = Regex::new(&money_pattern(GROSS_DIGITS)).unwrap();
        let imdb = Regex::new(IMDB_PATTERN).unwrap();
        for &sample in SAMPLES {
            assert_eq!(
                price.is_match(sample),
                is_money(sample, PRICE_DIGITS),
                "{sample:?}"
            );
            assert_eq!(
                gross.is_match(sample),
                is_money(sample, GROSS_DIGITS),
                "{sample:?}"
            );
            assert_eq!(imdb.is_match(sample), is_imdb(sample), "{sample:?}");
        }
    }

    #[test]
    fn money_reads_as_its_decimal() {
        assert_eq!(money("9.9", PRICE_DIGITS).unwrap().to_string(), "9.9");
        assert!(money("123456789", PRICE_DIGITS).is_err());
        assert_eq!(
            money("123456789012.99", GROSS_DIGITS).unwrap().to_string(),
            "123456789012.99"
        );
    }
}
