//! Alliances KPIs from product telemetry.
