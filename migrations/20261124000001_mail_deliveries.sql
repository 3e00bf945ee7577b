-- The mailer's delivery log: one row per SQS message id, so a redelivered message is not sent
-- twice. 'sending' is a claim (released on failure), 'sent' is final.
CREATE TABLE mail_deliveries (
    message_id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('sending', 'sent')),
    claimed_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);

CREATE INDEX mail_deliveries_sent_at_idx ON mail_deliveries (sent_at) WHERE state = 'sent';
