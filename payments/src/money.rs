//! Money at the edge with Stripe: our two-place decimals become Stripe's integer minor units
//! (cents; whole units for zero-decimal currencies such as JPY), never through a float.

use rust_decimal::Decimal;

use crate::PaymentsError;

/// An amount in the currency's smallest unit, as Stripe counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinorUnits(pub i64);

/// An ISO 4217 code, upper case as Cinema stores it (Stripe writes it lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

/// Currencies Stripe counts in whole units (docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

impl Currency {
    pub fn new(code: &str) -> Result<Self, PaymentsError> {
        let code = code.to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(PaymentsError::Invalid(format!(
                "not a currency code: {code}"
            )))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    fn decimals(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.0.as_str()) {
            0
        } else {
            2
        }
    }

    /// `amount` in minor units; an amount with more places than the currency has is refused
    /// rather than rounded.
    pub fn to_minor(&self, amount: Decimal) -> Result<MinorUnits, PaymentsError> {
        let scaled = amount * Decimal::from(10_i64.pow(self.decimals()));
        if scaled.fract() != Decimal::ZERO {
            return Err(PaymentsError::Invalid(format!(
                "{amount} {} has more decimal places than the currency",
                self.0
            )));
        }
        i64::try_from(scaled.trunc())
            .map(MinorUnits)
            .map_err(|_| PaymentsError::Invalid(format!("{amount} is out of range")))
    }

    /// Minor units back to a two-place decimal.
    pub fn from_minor(&self, amount: MinorUnits) -> Decimal {
        let mut value = Decimal::new(amount.0, self.decimals());
        value.rescale(2);
        value
    }

    pub(crate) fn to_stripe(&self) -> Result<stripe_types::Currency, PaymentsError> {
        self.0
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| PaymentsError::Invalid(format!("Stripe has no currency {}", self.0)))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn cents_both_ways_without_floats() {
        let usd = Currency::new("usd").unwrap();
        assert_eq!(usd.code(), "USD");
        assert_eq!(usd.to_minor(dec("19.99")).unwrap(), MinorUnits(1999));
        assert_eq!(usd.to_minor(dec("0.10")).unwrap(), MinorUnits(10));
        assert_eq!(
            usd.to_minor(dec("99999999.99")).unwrap(),
            MinorUnits(9_999_999_999)
        );
        assert_eq!(usd.from_minor(MinorUnits(1999)).to_string(), "19.99");
        assert_eq!(usd.from_minor(MinorUnits(5)).to_string(), "0.05");
        assert!(usd.to_minor(dec("0.001")).is_err());
    }

    #[test]
    fn zero_decimal_currencies_count_whole_units() {
        let yen = Currency::new("JPY").unwrap();
        assert_eq!(yen.to_minor(dec("500.00")).unwrap(), MinorUnits(500));
        assert!(yen.to_minor(dec("500.50")).is_err());
        assert_eq!(yen.from_minor(MinorUnits(500)).to_string(), "500.00");
    }

    #[test]
    fn a_code_is_three_letters() {
        assert!(Currency::new("US").is_err());
        assert!(Currency::new("U$D").is_err());
    }
}
