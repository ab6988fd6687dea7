-- +goose Up
-- The same case teams as postgres/00004_case_teams.sql, in SQLite's types.
CREATE TABLE case_members (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    added_at   DATETIME NOT NULL,
    PRIMARY KEY (case_id, user_id)
) WITHOUT ROWID;
CREATE INDEX case_members_user_id_idx ON case_members (user_id, case_id);

-- +goose Down
DROP TABLE case_members;
