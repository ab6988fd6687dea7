-- +goose Up
-- The staff on each case's team. Advocates and prosecutors see and work only their teams' cases.
CREATE TABLE case_members (
    case_id    uuid NOT NULL REFERENCES cases (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_members_user_id_idx ON case_members (user_id, case_id);

-- +goose Down
DROP TABLE case_members;
