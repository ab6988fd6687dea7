-- +goose Up
-- Wrong tries at an outstanding password reset code are counted on the code itself, apart from the account's
-- failed sign-ins: a code is void after a few wrong tries, and wrong passwords, which anyone who knows the
-- email can send, no longer stop the owner's right code.
ALTER TABLE password_resets ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0);

-- +goose Down
ALTER TABLE password_resets DROP COLUMN attempts;
