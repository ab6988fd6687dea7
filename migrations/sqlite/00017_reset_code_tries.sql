-- +goose Up
-- The same count of wrong tries at a reset code as postgres/00017_reset_code_tries.sql.
ALTER TABLE password_resets ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);

-- +goose Down
ALTER TABLE password_resets DROP COLUMN attempts;
