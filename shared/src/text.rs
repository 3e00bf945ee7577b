//! Checks on free text before it is stored or searched: Postgres text cannot hold NUL (a 500
//! otherwise), and no field has a use for the other control characters but line breaks and tabs.
//!
//! Each rule is also a pattern here, stated as such in the OpenAPI document (ECMA-262, the
//! dialect JSON Schema reads), so clients and fuzzers know what the server refuses. The patterns
//! use explicit ranges and general categories only, which read the same in every engine; the
//! checks below are written to accept exactly what their pattern matches (see the tests).

use std::sync::LazyLock;

use regex::Regex;

/// What a field with a forbidden character is told.
pub const NO_CONTROL_CHARACTERS: &str = "must not contain control characters";

/// No address is longer (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;

/// No control character (general category Cc) at all: what [`is_one_line`] accepts.
pub const ONE_LINE: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// Control characters but line feed, carriage return and tab: what [`is_multiline`] accepts.
pub const MULTILINE: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// [`ONE_LINE`], with something besides white space: what [`one_line_text`] accepts.
pub const ONE_LINE_NOT_BLANK: &str =
    r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

/// [`MULTILINE`], with something besides white space: what [`multiline_text`] accepts.
pub const MULTILINE_NOT_BLANK: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// A person's name: letters (with their combining marks), spaces and hyphens, at least one
/// letter; spaces around it are trimmed.
pub const PERSON_NAME: &str = r"^[\p{L}\p{M} -]*\p{L}[\p{L}\p{M} -]*$";

static PERSON_NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(PERSON_NAME).expect("the person name pattern compiles"));

/// Text of at most `max` characters once the white space around it is trimmed, none of them a
/// control character (white space around it may be any): what a filter such as `search` takes.
pub fn trimmed_one_line_pattern(max: usize) -> String {
    format!(r"^\s*[^\x00-\x1f\x7f-\x9f]{{0,{max}}}\s*$")
}

/// An email address as typed, trimmed and lower-cased the way accounts store it; an error
/// message for the field when no address could look like this. Its pattern is [`ONE_LINE`] with
/// at most [`MAX_EMAIL_CHARS`] characters, counted as sent.
pub fn normalized_email(raw: &str) -> Result<String, String> {
    if !is_one_line(raw) {
        return Err(NO_CONTROL_CHARACTERS.to_owned());
    }
    let email = raw.trim().to_lowercase();
    if raw.chars().count() > MAX_EMAIL_CHARS || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!("must be at most {MAX_EMAIL_CHARS} characters"));
    }
    Ok(email)
}

/// A one-line value (a name, a filter): no control characters at all.
pub fn is_one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// A multi-line value (a description, a bio): line breaks and tabs, no other control character.
pub fn is_multiline(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn length_message(max: usize) -> String {
    format!("must be 1 to {max} characters")
}

/// A required one-line value ([`ONE_LINE_NOT_BLANK`], at most `max` characters as sent),
/// trimmed; or the message for its field.
pub fn one_line_text(raw: &str, max: usize) -> Result<String, String> {
    required_text(raw, max, is_one_line)
}

/// A required multi-line value ([`MULTILINE_NOT_BLANK`], at most `max` characters as sent),
/// trimmed; or the message for its field.
pub fn multiline_text(raw: &str, max: usize) -> Result<String, String> {
    required_text(raw, max, is_multiline)
}

fn required_text(raw: &str, max: usize, allowed: fn(&str) -> bool) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || raw.chars().count() > max {
        Err(length_message(max))
    } else if !allowed(raw) {
        Err(NO_CONTROL_CHARACTERS.to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A person's name ([`PERSON_NAME`], at most `max` characters as sent), trimmed; or the message
/// for its field.
pub fn person_name(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || raw.chars().count() > max {
        Err(length_message(max))
    } else if !PERSON_NAME_RE.is_match(raw) {
        Err("may contain only letters, spaces and hyphens".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_every_control_character() {
        assert!(is_one_line("Amélie – 2001 🎬"));
        for text in ["a\0b", "a\nb", "a\tb", "\u{7f}", "\u{1b}[31m"] {
            assert!(!is_one_line(text), "{text:?}");
        }
    }

    #[test]
    fn emails_are_normalized_and_bounded() {
        assert_eq!(
            normalized_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        assert!(normalized_email("ann\0@example.com").is_err());
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_CHARS));
        assert!(normalized_email(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_tabs_only() {
        assert!(is_multiline("First line.\r\n\tSecond line."));
        for text in ["a\0b", "\u{7}", "\u{1b}[31m"] {
            assert!(!is_multiline(text), "{text:?}");
        }
    }

    /// Strings that tell the patterns' edges apart.
    const SAMPLES: &[&str] = &[
        "",
        " ",
        "\u{3000}\u{a0}",
        "Film-Noir",
        "  Amélie – 2001 🎬 ",
        "a\0b",
        "\tab",
        "a\nb",
        "a\r\n\tb",
        "\u{7f}",
        "\u{85}",
        "\u{9f}x",
        "\u{a0}x",
        "\u{1b}[31m",
        "Ann Lee-Smith",
        " Ann ",
        "--",
        "- -",
        "Zoë",
        "Zoe\u{308}",
        "प्रिया",
        "Ⅻ",
        "Ann2",
        "Ann_",
        "\u{301}",
    ];

    fn pattern(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap()
    }

    #[test]
    fn the_checks_accept_what_their_patterns_match() {
        let one_line = pattern(ONE_LINE);
        let multiline = pattern(MULTILINE);
        let one_line_text_re = pattern(ONE_LINE_NOT_BLANK);
        let multiline_text_re = pattern(MULTILINE_NOT_BLANK);
        let search = pattern(&trimmed_one_line_pattern(3));
        for &sample in SAMPLES {
            assert_eq!(one_line.is_match(sample), is_one_line(sample), "{sample:?}");
            assert_eq!(
                multiline.is_match(sample),
                is_multiline(sample),
                "{sample:?}"
            );
            assert_eq!(
                one_line_text_re.is_match(sample),
                one_line_text(sample, usize::MAX).is_ok(),
                "{sample:?}"
            );
            assert_eq!(
                multiline_text_re.is_match(sample),
                multiline_text(sample, usize::MAX).is_ok(),
                "{sample:?}"
            );
            assert_eq!(
                PERSON_NAME_RE.is_match(sample),
                person_name(sample, usize::MAX).is_ok(),
                "{sample:?}"
            );
            let trimmed = sample.trim();
            assert_eq!(
                search.is_match(sample),
                trimmed.chars().count() <= 3 && is_one_line(trimmed),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn names_are_letters_spaces_and_hyphens() {
        assert_eq!(person_name(" Ann Lee-Smith ", 50).unwrap(), "Ann Lee-Smith");
        assert_eq!(person_name("प्रिया", 50).unwrap(), "प्रिया");
        assert!(person_name("Ann2", 50).is_err());
        assert!(person_name("--", 50).is_err());
        assert!(person_name("\tAnn", 50).is_err());
        assert_eq!(
            person_name(&"a".repeat(51), 50).unwrap_err(),
            "must be 1 to 50 characters"
        );
    }

    #[test]
    fn required_text_is_counted_as_sent_and_trimmed() {
        assert_eq!(one_line_text(" Noir ", 6).unwrap(), "Noir");
        assert!(one_line_text(" Noir  ", 6).is_err());
        assert!(one_line_text("\tNoir", 10).is_err());
        assert!(one_line_text(" \u{3000}", 10).is_err());
        assert_eq!(multiline_text("a\n\tb", 10).unwrap(), "a\n\tb");
    }
}
