//! Sending over SMTP with lettre, each send bounded by a timeout (lettre's own covers only the
//! connection).

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret;

use crate::{
    RenderedEmail, SendError,
    config::{MailerConfig, SmtpSecurity},
};

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: std::time::Duration,
}

impl SmtpSender {
    pub fn new(config: &MailerConfig) -> anyhow::Result<Self> {
        let builder = match config.smtp_security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
            }
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.smtp_host)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.smtp_host)?,
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(config.smtp_timeout));
        if let Some((user, password)) = &config.smtp_credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: config
                .mail_from
                .parse()
                .map_err(|err| anyhow::anyhow!("MAIL_FROM is malformed: {err}"))?,
            timeout: config.smtp_timeout,
        })
    }

    pub async fn send(&self, to: &str, email: &RenderedEmail) -> Result<(), SendError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse::<Mailbox>()?)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(result) => result.map(drop).map_err(SendError::from),
            Err(_) => Err(SendError::Timeout),
        }
    }
}
