//! Checks on free text before it is stored or searched: Postgres text cannot hold NUL (a 500
//! otherwise), and no field has a use for the other control characters but line breaks and tabs.

/// What a field with a forbidden character is told.
pub const NO_CONTROL_CHARACTERS: &str = "must not contain control characters";

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
    fn multiline_text_keeps_line_breaks_and_tabs_only() {
        assert!(is_multiline("First line.\r\n\tSecond line."));
        for text in ["a\0b", "\u{7}", "\u{1b}[31m"] {
            assert!(!is_multiline(text), "{text:?}");
        }
    }
}
