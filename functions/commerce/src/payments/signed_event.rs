//! A Stripe event as Stripe signs it: the signature checked on the raw body, then only the
//! event types Cinema acts on parsed, into async-stripe's own types.
//!
//! Stripe's scheme: the `Stripe-Signature` header holds `t=<unix time>` and one or more
//! `v1=<hex>` entries, each an HMAC-SHA256 of `"{t}.{body}"` under the endpoint's secret; a
//! signature more than 5 minutes from now is refused, so a captured request cannot be replayed
//! later. (async-stripe-webhook's `construct_event` does the same, but parses every event type
//! Stripe has: its parser was over a megabyte of the commerce Lambda's zip, which the 8 MB goal
//! could not carry.)

use std::fmt;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Sha256;
use stripe_shared::{Charge, CheckoutSession, PaymentIntent};

/// How far a signature's time may be from now, in seconds (Stripe's own libraries use 300).
const TOLERANCE_SECS: i64 = 300;

/// Why a request is not an authentic, current Stripe event.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The header is not `t=...,v1=...`.
    Malformed,
    /// No `v1` signature matches the body under the secret.
    Mismatch,
    /// Signed at this unix time: too long ago (or ahead).
    Expired(i64),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("the header is not t=<time>,v1=<signature>"),
            Self::Mismatch => f.write_str("no signature matches the body"),
            Self::Expired(at) => write!(f, "signed at {at}, more than 5 minutes from now"),
        }
    }
}

/// What the event is about, for the types Cinema acts on (boxed: Stripe's objects are large).
pub enum EventObject {
    /// `checkout.session.completed` and `checkout.session.async_payment_succeeded`.
    SessionPaid(Box<CheckoutSession>),
    SessionExpired(Box<CheckoutSession>),
    SessionPaymentFailed(Box<CheckoutSession>),
    PaymentIntentFailed(Box<PaymentIntent>),
    ChargeRefunded(Box<Charge>),
    /// Any other type: recorded and left alone, its object not parsed.
    Other,
}

/// An authentic event.
pub struct SignedEvent {
    pub id: String,
    pub kind: String,
    pub object: EventObject,
}

/// Why an event was refused.
pub enum ReadError {
    Signature(SignatureError),
    /// Authentic, but not an event Cinema can read (kept for a person; Stripe retries).
    Unreadable(String),
}

/// Checks `header` against `payload` at unix time `now`.
pub fn verify(payload: &str, header: &str, secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut signed_at = None;
    let mut candidates = Vec::new();
    for entry in header.split(',') {
        match entry.trim().split_once('=') {
            Some(("t", time)) => {
                signed_at = Some(time.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
            }
            Some(("v1", signature)) => candidates.push(signature),
            // v0 (a test-mode scheme) and anything Stripe adds later carry no v1 signature.
            _ => {}
        }
    }
    let signed_at = signed_at.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(signed_at.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    // verify_slice compares in constant time.
    let matches = candidates.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|signature| mac.clone().verify_slice(&signature).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - signed_at).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Expired(signed_at));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Envelope<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
}

/// Verifies `payload` and reads the event in it.
pub fn read(payload: &str, header: &str, secret: &str, now: i64) -> Result<SignedEvent, ReadError> {
    verify(payload, header, secret, now).map_err(ReadError::Signature)?;
    let envelope: Envelope = serde_json::from_str(payload)
        .map_err(|error| ReadError::Unreadable(format!("not a Stripe event: {error}")))?;
    let object = envelope.data.object.get();
    let object = match envelope.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            EventObject::SessionPaid(parse(object)?)
        }
        "checkout.session.expired" => EventObject::SessionExpired(parse(object)?),
        "checkout.session.async_payment_failed" => {
            EventObject::SessionPaymentFailed(parse(object)?)
        }
        "payment_intent.payment_failed" => EventObject::PaymentIntentFailed(parse(object)?),
        "charge.refunded" => EventObject::ChargeRefunded(parse(object)?),
        _ => EventObject::Other,
    };
    Ok(SignedEvent {
        id: envelope.id,
        kind: envelope.kind,
        object,
    })
}

/// async-stripe's types parse with miniserde (its lean JSON reader), as its client does.
fn parse<T: miniserde::Deserialize>(object: &str) -> Result<Box<T>, ReadError> {
    miniserde::json::from_str(object)
        .map(Box::new)
        .map_err(|_| {
            ReadError::Unreadable(format!(
                "its object is not a {}",
                std::any::type_name::<T>()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &str = r#"{"id":"evt_1","type":"customer.created","data":{"object":{}}}"#;

    fn signature(body: &str, secret: &str, at: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{at}.{body}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn any_v1_entry_may_carry_the_signature() {
        let good = signature(BODY, SECRET, 1000);
        let other = signature(BODY, "whsec_rolled", 1000);
        let header = format!("t=1000,v1={other},v0=abc,v1={good}");
        assert_eq!(verify(BODY, &header, SECRET, 1000), Ok(()));
        assert_eq!(
            verify(BODY, &format!("t=1000,v1={other}"), SECRET, 1000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_time_is_signed_and_bounded() {
        let header = format!("t=1000,v1={}", signature(BODY, SECRET, 1000));
        assert_eq!(verify(BODY, &header, SECRET, 1300), Ok(()));
        assert_eq!(
            verify(BODY, &header, SECRET, 1301),
            Err(SignatureError::Expired(1000))
        );
        assert_eq!(
            verify(BODY, &header, SECRET, 699),
            Err(SignatureError::Expired(1000))
        );
        // Moving the time forward breaks the signature.
        let moved = header.replace("t=1000", "t=1200");
        assert_eq!(
            verify(BODY, &moved, SECRET, 1200),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_malformed_header_is_refused() {
        for header in ["", "t=abc,v1=00", "v1=00", "t=1000", "t=1000,v1=zz"] {
            let refused = verify(BODY, header, SECRET, 1000);
            assert!(refused.is_err(), "{header}: {refused:?}");
        }
    }

    #[test]
    fn only_the_types_acted_on_are_parsed() {
        let read_at = |body: &str| {
            let header = format!("t=1000,v1={}", signature(body, SECRET, 1000));
            read(body, &header, SECRET, 1000)
        };
        let other = read_at(BODY).ok().unwrap();
        assert_eq!(
            (other.id.as_str(), other.kind.as_str()),
            ("evt_1", "customer.created")
        );
        assert!(matches!(other.object, EventObject::Other));
        let broken = r#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":1}}}"#;
        assert!(matches!(read_at(broken), Err(ReadError::Unreadable(_))));
    }
}
