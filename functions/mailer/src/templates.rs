//! Email templates compiled into the binary: per kind a text template (its first line is the
//! subject) and an HTML one that extends a shared layout.

use std::sync::LazyLock;

use cinema_shared::email::{EmailKind, EmailMessage};
use minijinja::{Environment, context};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "activation.txt",
    "activation.html",
    "welcome.txt",
    "welcome.html",
    "password_reset.txt",
    "password_reset.html",
    "password_changed.txt",
    "password_changed.html",
    "comment_reply.txt",
    "comment_reply.html",
    "comment_liked.txt",
    "comment_liked.html",
    "payment_succeeded.txt",
    "payment_succeeded.html",
    "payment_failed.txt",
    "payment_failed.html",
    "refund_completed.txt",
    "refund_completed.html",
    "movie_removed_from_cart.txt",
    "movie_removed_from_cart.html",
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|err| panic!("template {name} does not compile: {err}"));
    }
    env
});

fn template_stem(kind: EmailKind) -> &'static str {
    match kind {
        EmailKind::Activation => "activation",
        EmailKind::Welcome => "welcome",
        EmailKind::PasswordReset => "password_reset",
        EmailKind::PasswordChanged => "password_changed",
        EmailKind::CommentReply => "comment_reply",
        EmailKind::CommentLiked => "comment_liked",
        EmailKind::PaymentSucceeded => "payment_succeeded",
        EmailKind::PaymentFailed => "payment_failed",
        EmailKind::RefundCompleted => "refund_completed",
        EmailKind::MovieRemovedFromCart => "movie_removed_from_cart",
    }
}

/// Renders one message; `frontend_url` is where the email's links point.
pub fn render(
    message: &EmailMessage,
    frontend_url: &str,
) -> Result<RenderedEmail, minijinja::Error> {
    let stem = template_stem(message.kind);
    let ctx = context! {
        to => &message.to,
        // The operator's own setting: trusted, and escaping would mangle its slashes.
        frontend_url => minijinja::Value::from_safe_string(frontend_url.trim_end_matches('/').to_owned()),
        ..minijinja::Value::from_serialize(&message.data)
    };
    let text = ENVIRONMENT
        .get_template(&format!("{stem}.txt"))?
        .render(&ctx)?;
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    let html = ENVIRONMENT
        .get_template(&format!("{stem}.html"))?
        .render(&ctx)?;
    Ok(RenderedEmail {
        subject: subject.trim().to_owned(),
        text: body.trim_start().to_owned(),
        html,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_kind_renders_with_a_subject() {
        let kinds = [
            EmailKind::Activation,
            EmailKind::Welcome,
            EmailKind::PasswordReset,
            EmailKind::PasswordChanged,
            EmailKind::CommentReply,
            EmailKind::CommentLiked,
            EmailKind::PaymentSucceeded,
            EmailKind::PaymentFailed,
            EmailKind::RefundCompleted,
            EmailKind::MovieRemovedFromCart,
        ];
        for kind in kinds {
            let message = EmailMessage {
                kind,
                to: "ann@example.com".into(),
                data: json!({}),
            };
            let email = render(&message, "https://cinema.example").unwrap();
            assert!(!email.subject.is_empty(), "{kind:?} has no subject");
            assert!(!email.text.is_empty(), "{kind:?} has no text");
            assert!(
                email.html.contains("</html>"),
                "{kind:?} html is not a page"
            );
        }
    }

    #[test]
    fn activation_links_carry_the_token_to_the_frontend() {
        let message = EmailMessage {
            kind: EmailKind::Activation,
            to: "ann+films@example.com".into(),
            data: json!({"token": "abc+123"}),
        };
        let email = render(&message, "https://cinema.example/").unwrap();
        let link =
            "https://cinema.example/activate?email=ann%2Bfilms%40example.com&token=abc%2B123";
        assert!(email.text.contains(link), "{}", email.text);
        assert!(
            email.html.contains(&link.replace('&', "&amp;")),
            "{}",
            email.html
        );
    }

    #[test]
    fn html_escapes_user_text() {
        let message = EmailMessage {
            kind: EmailKind::CommentReply,
            to: "ann@example.com".into(),
            data: json!({"movie_name": "<script>x</script>", "reply_text": "hi"}),
        };
        let email = render(&message, "https://cinema.example").unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(
            email.subject.contains("<script>x</script>"),
            "plain text stays as written"
        );
    }
}
