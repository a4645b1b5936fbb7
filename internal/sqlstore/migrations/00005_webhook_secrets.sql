-- +goose Up
-- The key a user's webhooks are signed with. It must be usable to sign, so
-- it is stored as is; it grants nothing but the ability to forge webhook
-- deliveries to that user.
ALTER TABLE users ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN webhook_secret;
