#!/bin/bash
# Creates the hub store's own database and role beside Airflow's metadata database.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE hub LOGIN PASSWORD '${HUB_DB_PASSWORD}';
CREATE DATABASE hub OWNER hub;
SQL
