-- 009: the outbox mirrors the delivery journal (<warehouse>.delivery.sqlite3), which holds
-- every step from queued to sent durably; see docs/alerts.md.

ALTER TABLE meta.outbox ADD COLUMN first_attempt_at TIMESTAMPTZ;
ALTER TABLE meta.outbox ADD COLUMN last_attempt_at TIMESTAMPTZ;
ALTER TABLE meta.outbox ADD COLUMN uncertain BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE meta.outbox ADD COLUMN delivery_ref VARCHAR;
ALTER TABLE meta.outbox ADD COLUMN reconciled BOOLEAN NOT NULL DEFAULT false;

COMMENT ON TABLE meta.outbox IS 'One row per message to deliver: a signal is queued once per (episode, severity, destination) in the same publish as the signals that caused it. Delivery happens after the publish and is recorded step by step in the delivery journal next to the warehouse; the status columns here mirror that journal as of the last publish. Secrets never appear here.';
COMMENT ON COLUMN meta.outbox.kind IS 'signal (subscriber alerts; ops notifications are sent straight away and never queued).';
COMMENT ON COLUMN meta.outbox.episode_start IS 'First day of the signal episode the message is about.';
COMMENT ON COLUMN meta.outbox.severity IS 'watch, alert or critical: the severity the message announces.';
COMMENT ON COLUMN meta.outbox.created_run_id IS 'The run that queued the message.';
COMMENT ON COLUMN meta.outbox.created_at IS 'When the message was queued.';
COMMENT ON COLUMN meta.outbox.payload IS 'The message as sent: fallback text and Block Kit blocks (JSON).';
COMMENT ON COLUMN meta.outbox.status IS 'pending (queued, never tried), sending (an attempt whose outcome was never recorded), sent, printed (terminal), or failed (last attempt failed; tried again next run).';
COMMENT ON COLUMN meta.outbox.attempts IS 'Delivery attempts so far (a message found in the channel history counts its original attempt only).';
COMMENT ON COLUMN meta.outbox.sent_at IS 'When Slack accepted it (or it was printed, or found in the channel history).';
COMMENT ON COLUMN meta.outbox.sent_run_id IS 'The run that delivered it.';
COMMENT ON COLUMN meta.outbox.first_attempt_at IS 'When the first attempt started (bounds the channel-history check before a resend).';
COMMENT ON COLUMN meta.outbox.last_attempt_at IS 'When the latest attempt started.';
COMMENT ON COLUMN meta.outbox.uncertain IS 'True when the last failed attempt may still have reached Slack (timeout, 5xx, process died): a bot message is then looked up in the channel history before any resend.';
COMMENT ON COLUMN meta.outbox.delivery_ref IS 'Slack''s message ts for a bot message (ok for a webhook); null until sent.';
COMMENT ON COLUMN meta.outbox.reconciled IS 'True when the message was found in the channel history (posted by an attempt whose outcome was lost) instead of being posted again.';
