//! Email templates compiled into the binary: per kind a text template (its first line is the
//! subject) and an HTML one that extends a shared layout.

use std::sync::LazyLock;

use cinema_shared::email::EmailMessage;
use minijinja::{Environment, UndefinedBehavior, context};

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

/// Strict: a variable the message does not carry (missing, or misspelled in a template) is an
/// error, never an empty string in someone's inbox.
fn strict_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = strict_environment();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|err| panic!("template {name} does not compile: {err}"));
    }
    env
});

/// Renders one message; `frontend_url` is where the email's links point.
pub fn render(
    message: &EmailMessage,
    frontend_url: &str,
) -> Result<RenderedEmail, minijinja::Error> {
    let stem = message.email.kind();
    let wire = minijinja::Value::from_serialize(&message.email);
    let ctx = context! {
        to => &message.to,
        // The operator's own setting: trusted, and escaping would mangle its slashes.
        frontend_url => minijinja::Value::from_safe_string(frontend_url.trim_end_matches('/').to_owned()),
        ..wire.get_attr("data")?
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
    use cinema_shared::email::{Email, ReceiptLine};
    use uuid::Uuid;

    use super::*;

    /// One message of every kind, each with every field its variant has.
    fn one_of_each() -> Vec<Email> {
        let movie_id = Uuid::nil();
        let order_id = Uuid::max();
        vec![
            Email::Activation {
                token: "tok".into(),
                valid_hours: 24,
            },
            Email::Welcome {},
            Email::PasswordReset {
                token: "tok".into(),
                valid_minutes: 60,
            },
            Email::PasswordChanged {},
            Email::CommentReply {
                movie_id,
                movie_name: "Heat".into(),
                author: "Bo".into(),
                reply_text: "Agreed".into(),
            },
            Email::CommentLiked {
                movie_id,
                movie_name: "Heat".into(),
                author: "Bo".into(),
            },
            Email::PaymentSucceeded {
                order_id,
                items: vec![ReceiptLine {
                    name: "Heat".into(),
                    price: "9.99".into(),
                }],
                total: "9.99".into(),
                currency: "usd".into(),
            },
            Email::PaymentFailed {
                order_id,
                reason: None,
            },
            Email::RefundCompleted {
                order_id,
                total: "9.99".into(),
                currency: "usd".into(),
            },
            Email::MovieRemovedFromCart {
                movie_name: "Heat".into(),
            },
        ]
    }

    #[test]
    fn every_kind_renders_with_a_subject_and_its_fields() {
        for email in one_of_each() {
            let kind = email.kind();
            let rendered = render(
                &EmailMessage::new("ann@example.com", email),
                "https://cinema.example",
            )
            .unwrap_or_else(|err| panic!("{kind} does not render: {err:#}"));
            assert!(!rendered.subject.is_empty(), "{kind} has no subject");
            assert!(!rendered.text.is_empty(), "{kind} has no text");
            assert!(
                rendered.html.contains("</html>"),
                "{kind} html is not a page"
            );
        }
    }

    #[test]
    fn a_receipt_lists_its_lines_and_total() {
        let email = one_of_each().remove(6);
        let rendered = render(&EmailMessage::new("a@b.c", email), "https://c.example").unwrap();
        assert!(
            rendered.text.contains("- Heat: 9.99 USD"),
            "{}",
            rendered.text
        );
        assert!(
            rendered.text.contains("Total: 9.99 USD"),
            "{}",
            rendered.text
        );
        assert!(rendered.text.contains(&Uuid::max().to_string()));
    }

    #[test]
    fn a_template_reading_a_variable_the_message_lacks_fails() {
        let mut env = strict_environment();
        env.add_template("t", "Hello {{ nmae }}").unwrap();
        let err = env
            .get_template("t")
            .unwrap()
            .render(context! { name => "Ann" })
            .unwrap_err();
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
    }

    #[test]
    fn every_variable_the_templates_read_is_a_field_of_their_kind() {
        // Strictness at work on the real templates: the same render without the kind's data.
        for email in one_of_each() {
            let stem = email.kind();
            if matches!(
                email,
                Email::Welcome {} | Email::PasswordChanged {} | Email::PaymentFailed { .. }
            ) {
                continue;
            }
            let ctx = context! { to => "a@b.c", frontend_url => "https://c.example" };
            let text = ENVIRONMENT
                .get_template(&format!("{stem}.txt"))
                .unwrap()
                .render(&ctx);
            assert!(text.is_err(), "{stem}.txt renders without its fields");
        }
    }

    #[test]
    fn activation_links_carry_the_token_to_the_frontend() {
        let message = EmailMessage::new(
            "ann+films@example.com",
            Email::Activation {
                token: "abc+123".into(),
                valid_hours: 24,
            },
        );
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
        let message = EmailMessage::new(
            "ann@example.com",
            Email::CommentReply {
                movie_id: Uuid::nil(),
                movie_name: "<script>x</script>".into(),
                author: "Bo".into(),
                reply_text: "hi".into(),
            },
        );
        let email = render(&message, "https://cinema.example").unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(
            email.subject.contains("<script>x</script>"),
            "plain text stays as written"
        );
    }
}
