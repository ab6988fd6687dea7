-- +goose Up
-- Nothing to change on PostgreSQL: this migration has no statements and only keeps the numbers of both
-- dialects the same. SQLite needed triggers against REPLACE (sqlite/00015_append_only_no_replace.sql).
-- PostgreSQL has no REPLACE; an upsert (INSERT … ON CONFLICT DO UPDATE) or a MERGE that meets an append-only
-- row fires that table's update or delete trigger, which refuses it; and TRUNCATE has triggers of its own.
-- TestAppendOnlyTablesRefuseEveryRewrite tries each of them on both databases.

-- +goose Down
-- Nothing to undo.
