-- Emails written in the same transaction as the change they announce, relayed to the mail
-- queue after commit (by the request, or by the janitor when the queue was down). A rolled-back
-- change leaves no email behind, and a committed one loses none.
CREATE TABLE email_outbox (
    id bigserial PRIMARY KEY,
    message jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
