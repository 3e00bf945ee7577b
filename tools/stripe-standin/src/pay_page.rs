//! The hosted payment page stand-in: `GET /pay/{session}` shows the lines and two buttons,
//! `POST /pay/{session}` with `outcome=succeed|fail` plays the customer's card. No auth: the
//! session id carries its account's tag and is hard enough to guess for a dev tool.

use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::form;
use crate::payments;
use crate::sessions::{Session, SessionStatus};
use crate::state::App;

/// Currencies without minor units (Stripe's list), shown without a decimal point.
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn money(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency) {
        format!("{amount} {code}")
    } else {
        let sign = if amount < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:02} {code}",
            amount.abs() / 100,
            amount.abs() % 100
        )
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - local Stripe stand-in</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border-bottom:1px solid #ddd;padding:.4em;text-align:left}}.num{{text-align:right}}\
         button{{font-size:1.1em;margin:1em 1em 0 0;padding:.5em 1em}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    // The page shows state that changes; never serve it from a cache.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "No such checkout session",
        "<p>This payment link is unknown to the stand-in.</p>",
    )
}

fn not_open(status: StatusCode, session: &Session) -> Response {
    let state = match session.status {
        SessionStatus::Complete => "has already been paid",
        SessionStatus::Expired => "has expired",
        SessionStatus::Open => "is open",
    };
    page(
        status,
        "Checkout session closed",
        &format!(
            "<p>Checkout session <code>{}</code> {state}; it is no longer open.</p>",
            escape(&session.id)
        ),
    )
}

fn pay_form(session: &Session) -> String {
    let mut rows = String::new();
    for line in &session.lines {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&line.name),
            line.quantity,
            escape(&money(line.unit_amount, &session.currency)),
            escape(&money(line.unit_amount * line.quantity, &session.currency)),
        );
    }
    format!(
        "<p>Session <code>{id}</code></p>\
         <table><thead><tr><th>Item</th><th class=\"num\">Quantity</th><th class=\"num\">Unit price</th>\
         <th class=\"num\">Amount</th></tr></thead><tbody>{rows}</tbody>\
         <tfoot><tr><th colspan=\"3\">Total</th><th class=\"num\" id=\"total\">{total}</th></tr></tfoot></table>\
         <form method=\"post\" action=\"/pay/{id}\">\
         <button type=\"submit\" name=\"outcome\" value=\"succeed\">Pay {total}</button>\
         <button type=\"submit\" name=\"outcome\" value=\"fail\">Decline the card</button></form>",
        id = escape(&session.id),
        total = escape(&money(session.amount_total, &session.currency)),
    )
}

pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Response {
    let mut state = app.lock();
    let Some(session) = state
        .account_of_id(&id)
        .and_then(|account| account.sessions.get(&id))
    else {
        return not_found();
    };
    if !session.is_open() {
        return not_open(StatusCode::OK, session);
    }
    page(StatusCode::OK, "Pay", &pay_form(session))
}

#[derive(Deserialize)]
struct Answer {
    outcome: Option<String>,
}

pub async fn answer(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let outcome = form::parse::<Answer>(&body)
        .ok()
        .and_then(|answer| answer.outcome);
    let mut state = app.lock();
    let Some(account) = state
        .account_of_id(&id)
        .filter(|account| account.sessions.contains_key(&id))
    else {
        return not_found();
    };
    let session = &account.sessions[&id];
    if !session.is_open() {
        return not_open(StatusCode::CONFLICT, session);
    }
    match outcome.as_deref() {
        Some("succeed") => match payments::succeed(&app, account, &id) {
            Ok(redirect) => Redirect::to(&redirect).into_response(),
            Err(error) => error.into_response(),
        },
        Some("fail") => match payments::decline(&app, account, &id) {
            Ok(()) => {
                let session = &account.sessions[&id];
                let body = format!(
                    "<p><strong>Your card was declined.</strong> The session stays open; try again.</p>{}",
                    pay_form(session)
                );
                page(StatusCode::OK, "Card declined", &body)
            }
            Err(error) => error.into_response(),
        },
        _ => page(
            StatusCode::BAD_REQUEST,
            "Unknown outcome",
            "<p>Send <code>outcome=succeed</code> or <code>outcome=fail</code>.</p>",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(money(999, "usd"), "9.99 USD");
        assert_eq!(money(5, "eur"), "0.05 EUR");
        assert_eq!(money(500, "jpy"), "500 JPY");
    }
}
