-- The comments of tables and columns come from the table specs (domain/tables), applied after
-- the migrations. This table remembers which version of them the file carries, so that opening
-- a current warehouse costs one lookup instead of comparing every comment.

CREATE TABLE meta.table_specs (
    fingerprint  VARCHAR      PRIMARY KEY,
    applied_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);
