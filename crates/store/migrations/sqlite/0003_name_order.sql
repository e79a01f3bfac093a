-- SQLite already orders TEXT byte-wise (BINARY); kept in step with the PostgreSQL migrations.
SELECT 1;
