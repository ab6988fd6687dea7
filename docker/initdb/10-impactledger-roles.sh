#!/usr/bin/env bash
# ImpactLedger's two database roles and its database. The postgres image runs this, as its superuser
# POSTGRES_USER, the first time the db service starts on an empty volume (/docker-entrypoint-initdb.d).
# Running it again is harmless: it only sets the roles' passwords and privileges again.
#
#   impactledger_owner  owns the database and its schema, and nothing but migrations connect as it (the
#                       migrate service); not a superuser, so it cannot step outside this database
#   impactledger_app    the service; owns nothing, and is granted by every migration only what it needs,
#                       so that it can neither change the schema nor rewrite the audit trail or the ledger
set -euo pipefail
: "${IMPACTLEDGER_DB_OWNER_PASSWORD:?set IMPACTLEDGER_DB_OWNER_PASSWORD (see .env.example)}"
: "${IMPACTLEDGER_DB_APP_PASSWORD:?set IMPACTLEDGER_DB_APP_PASSWORD (see .env.example)}"

# The passwords go in as psql variables, quoted by psql (:'name'), never pasted into the SQL text.
psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres \
  -v db="${IMPACTLEDGER_DB:-impactledger}" \
  -v owner_password="$IMPACTLEDGER_DB_OWNER_PASSWORD" \
  -v app_password="$IMPACTLEDGER_DB_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE impactledger_owner'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'impactledger_owner') \gexec
ALTER ROLE impactledger_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';

SELECT 'CREATE ROLE impactledger_app'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'impactledger_app') \gexec
ALTER ROLE impactledger_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER impactledger_owner', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO impactledger_owner', :'db') \gexec
-- Only the two roles (and superusers) may connect.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO impactledger_app', :'db') \gexec

\connect :db
-- The owner owns the schema the tables go in; nobody else may create anything there (PostgreSQL 14 and
-- older let every role create tables in public).
ALTER SCHEMA public OWNER TO impactledger_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
