-- Order organization names byte-wise, as SQLite does, so lists page identically on both engines.
ALTER TABLE organizations ALTER COLUMN name_key TYPE TEXT COLLATE "C";
