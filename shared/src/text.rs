//! Checks on free text before it is stored or searched: Postgres text cannot hold NUL (a 500
//! otherwise), and no field has a use for the other control characters but line breaks and tabs.

/// What a field with a forbidden character is told.
pub const NO_CONTROL_CHARACTERS: &str = "must not contain control characters";

/// No address is longer (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address as typed, trimmed and lower-cased the way accounts store it; an error
/// message for the field when no address could look like this.
pub fn normalized_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    if !is_one_line(&email) {
        return Err(NO_CONTROL_CHARACTERS.to_owned());
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
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
}
