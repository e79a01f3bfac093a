"""The DuckDB baseline of `partnerhub kpi pings` / `kpi downloads`: the same figures, in SQL.

Usage: duckdb_kpi.py pings RANGES_DIR FILE...   |   duckdb_kpi.py downloads FILE...
Prints CSV in the same shape as `--format csv`. Ranges are read from the manifest's cidr-list
sources into integer (lo, hi) tables; the longest-prefix match is a range join in DuckDB.
"""

import csv
import ipaddress
import os
import sys
import tempfile
import tomllib

import duckdb

STAGES = [
    ("manage", ["usage_activity_by_stage_monthly.manage.events",
                "redis_hll_counters.analytics.analytics_total_unique_counts_monthly"]),
    ("plan", ["redis_hll_counters.issues_edit.issues_edit_total_unique_counts_monthly"]),
    ("create", ["usage_activity_by_stage_monthly.create.action_monthly_active_users_project_repo"]),
    ("verify", ["usage_activity_by_stage_monthly.verify.ci_pipelines"]),
    ("package", ["redis_hll_counters.user_packages.user_packages_total_unique_counts_monthly"]),
    ("release", ["usage_activity_by_stage_monthly.release.releases"]),
    ("configure", ["redis_hll_counters.terraform.p_terraform_state_api_unique_users_monthly"]),
    ("monitor", ["redis_hll_counters.incident_management.incident_management_total_unique_counts_monthly"]),
    ("secure", ["usage_activity_by_stage_monthly.secure.user_unique_users_all_secure_scanners"]),
]


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def connect():
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    con.sql(f"SET threads = {os.cpu_count()}")
    return con


def load_ranges(con, ranges_dir):
    """Prefix tables v4(lo, hi, len, ord, platform) and v6(...), in manifest order."""
    with open(os.path.join(ranges_dir, "sources.toml"), "rb") as f:
        manifest = tomllib.load(f)
    rows = {4: [], 6: []}
    order = 0
    for source in manifest.get("source", []):
        if source["format"] != "cidr-list":
            raise SystemExit(f"baseline reads cidr-list sources only, not {source['format']}")
        with open(os.path.join(ranges_dir, source["path"]), encoding="utf-8-sig") as f:
            for line in f:
                text = line.split("#")[0].strip()
                if not text:
                    continue
                net = ipaddress.ip_network(text, strict=False)
                rows[net.version].append((int(net.network_address), int(net.broadcast_address),
                                          net.prefixlen, order, source["platform"]))
                order += 1
    tmp = tempfile.mkdtemp()
    for version, table in ((4, "ranges_v4"), (6, "ranges_v6")):
        path = os.path.join(tmp, f"{table}.csv")
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(rows[version])
        kind = "BIGINT" if version == 4 else "UHUGEINT"
        con.sql(f"""CREATE TABLE {table} AS SELECT lo::{kind} AS lo, hi::{kind} AS hi, len::INT AS len,
                    ord::INT AS ord, platform FROM read_csv('{path}', header=false,
                    columns={{'lo':'VARCHAR','hi':'VARCHAR','len':'INT','ord':'INT','platform':'VARCHAR'}})""")
    return manifest.get("rule", [])


def domain_match(column, domains):
    parts = []
    for d in domains:
        d = d.strip().lstrip(".").lower()
        parts.append(f"({column} = {sql_str(d)} OR ends_with({column}, {sql_str('.' + d)}))")
    return "(" + " OR ".join(parts) + ")"


def platform_case(rules):
    """The manifest's ordered rules as one CASE; the IP-ranges rule reads the join's result."""
    def as_list(v):
        return [v] if isinstance(v, str) else list(v)
    if not any(r.get("ip_ranges") for r in rules):
        rules = [{"ip_ranges": True}] + list(rules)
    arms = []
    for r in rules:
        if r.get("ip_ranges"):
            arms.append("WHEN ip_platform IS NOT NULL THEN ip_platform")
        elif "hostname_suffix" in r:
            arms.append(f"WHEN {domain_match('host_lc', as_list(r['hostname_suffix']))} THEN {sql_str(r['platform'])}")
        elif "database_flavor_contains" in r:
            cond = " OR ".join(f"contains(lower(flavor), {sql_str(t.lower())})" for t in as_list(r["database_flavor_contains"]))
            arms.append(f"WHEN ({cond}) THEN {sql_str(r['platform'])}")
        elif "installation_type" in r:
            vals = ", ".join(sql_str(v) for v in as_list(r["installation_type"]))
            arms.append(f"WHEN installation_type IN ({vals}) THEN {sql_str(r['platform'])}")
    return "CASE " + " ".join(arms) + " ELSE 'Unknown' END"


def pings(ranges_dir, files):
    con = connect()
    rules = load_ranges(con, ranges_dir)
    paths = [f"$.payload.{p}" for _, ps in STAGES for p in ps]
    fixed = ["$.source_ip", "$.received_at", "$.payload.uuid", "$.payload.hostname",
             "$.payload.installation_type", "$.payload.database.flavor"]
    all_paths = ", ".join(sql_str(p) for p in fixed + paths)
    file_list = ", ".join(sql_str(f) for f in files)

    def metric(i):
        v = f"TRY_CAST(trim(v[{len(fixed) + i + 1}]) AS DOUBLE)"
        return f"CASE WHEN {v} >= 0 THEN floor({v})::UBIGINT END"

    stage_cols, i = [], 0
    for name, ps in STAGES:
        cols = [metric(i + k) for k in range(len(ps))]
        i += len(ps)
        expr = cols[0] if len(cols) == 1 else f"greatest({', '.join(cols)})"
        stage_cols.append(f"coalesce({expr}, 0) AS smau_{name}")
    con.sql(f"""
        CREATE TABLE last_pings AS
        WITH raw AS (
            SELECT json_extract_string(json, [{all_paths}]) AS v
            FROM read_ndjson_objects([{file_list}])
        ), parsed AS (
            SELECT v[1] AS source_ip, v[2]::TIMESTAMPTZ AS received_at, v[3] AS uuid,
                   coalesce(v[4], '') AS hostname, v[5] AS installation_type, v[6] AS flavor,
                   {', '.join(stage_cols)}
            FROM raw
        )
        SELECT *, strftime(received_at, '%Y-%m') AS month,
               lower(rtrim(hostname, '.')) AS host_lc,
               regexp_replace(lower(source_ip), '^::ffff:(\\d+\\.\\d+\\.\\d+\\.\\d+)$', '\\1') AS ip
        FROM parsed
        QUALIFY row_number() OVER (PARTITION BY uuid, hostname, month ORDER BY received_at DESC) = 1
    """)
    con.sql("""
        CREATE MACRO v6_groups(s) AS list_concat(
            CASE WHEN split_part(s, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(s, '::', 1), ':') END,
            CASE WHEN contains(s, '::') THEN list_transform(range(8 - len(string_split(replace(s, '::', ':'), ':')) +
                 (CASE WHEN starts_with(s, '::') THEN 1 ELSE 0 END) + (CASE WHEN ends_with(s, '::') THEN 1 ELSE 0 END)), lambda x: '0')
                 ELSE []::VARCHAR[] END,
            CASE WHEN NOT contains(s, '::') OR split_part(s, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(s, '::', 2), ':') END)
    """)
    con.sql("""
        CREATE TABLE ips AS
        SELECT DISTINCT ip,
               CASE WHEN NOT contains(ip, ':') THEN
                    (split_part(ip, '.', 1)::BIGINT << 24) + (split_part(ip, '.', 2)::BIGINT << 16)
                    + (split_part(ip, '.', 3)::BIGINT << 8) + split_part(ip, '.', 4)::BIGINT END AS v4,
               CASE WHEN contains(ip, ':') THEN
                    list_reduce(list_transform(CASE WHEN contains(ip, '::') THEN v6_groups(ip) ELSE string_split(ip, ':') END,
                                               lambda g: ('0x' || g)::UHUGEINT), lambda acc, g: (acc << 16) + g) END AS v6
        FROM last_pings WHERE ip IS NOT NULL
    """)
    con.sql("""
        CREATE TABLE ip_platform AS
        SELECT ip, arg_min(platform, (-len, ord)) AS ip_platform FROM (
            SELECT i.ip, r.platform, r.len, r.ord FROM ips i JOIN ranges_v4 r ON i.v4 BETWEEN r.lo AND r.hi
            UNION ALL
            SELECT i.ip, r.platform, r.len, r.ord FROM ips i JOIN ranges_v6 r ON i.v6 BETWEEN r.lo AND r.hi
        ) GROUP BY ip
    """)
    stage_sums = ", ".join(f"sum(smau_{n})::UBIGINT AS smau_{n}" for n, _ in STAGES)
    stage_total = " + ".join(f"smau_{n}" for n, _ in STAGES)
    stage_names = ", ".join(f"smau_{n}" for n, _ in STAGES)
    rows = con.sql(f"""
        WITH classified AS (
            SELECT l.*, {platform_case(rules)} AS platform
            FROM last_pings l LEFT JOIN ip_platform p USING (ip)
            WHERE installation_type IS DISTINCT FROM 'gitlab-development-kit'
        ), per_platform AS (
            SELECT month, platform, count(*) AS active_installations, {stage_sums}
            FROM classified GROUP BY month, platform
            UNION ALL
            SELECT month, 'Total', count(*), {stage_sums} FROM classified GROUP BY month
        )
        SELECT month, platform, active_installations, {stage_total} AS smau_total, {stage_names}
        FROM per_platform ORDER BY month, platform COLLATE "C"
    """)
    write_csv(rows)


def downloads(files):
    con = connect()
    file_list = ", ".join(sql_str(f) for f in files)
    arch = "(amd64|arm64|armhf|i386|x86_64|aarch64|noarch)"
    tail = rf"[_-]\d+\.\d+\.\d+-{{ed}}\.\d+(\.[a-z0-9_]+)?[_.]{arch}\.(deb|rpm)(/download\.(deb|rpm))?$"
    omnibus = (r"^/gitlab/(gitlab-ee|gitlab-ce|raspberry-pi2)/(packages/)?[a-z0-9_]+/(pool/)?[A-Za-z0-9._]+/(.*/)?"
               r"(gitlab-ee" + tail.format(ed="ee") + "|gitlab-ce" + tail.format(ed="ce") + ")")
    rows = con.sql(f"""
        WITH lines AS (
            SELECT regexp_extract(line, '^([^ ]+) [^\\[]*\\[([^\\]]*)\\] "([^"]*)" ([0-9]{{3}})',
                                  ['client', 'time', 'request', 'status']) AS m
            FROM read_csv([{file_list}], columns={{'line': 'VARCHAR'}}, header=false, delim='\\x1f',
                          quote='', escape='', auto_detect=false, strict_mode=false)
        ), requests AS (
            SELECT m.client AS client, strftime(strptime(m.time, '%d/%b/%Y:%H:%M:%S %z'), '%Y-%m') AS month,
                   split_part(m.request, ' ', 1) AS method, split_part(m.request, ' ', 2) AS target,
                   m.status::INT AS status
            FROM lines WHERE m.status <> ''
        ), classified AS (
            SELECT month, client, status, split_part(target, '?', 1) AS path,
                   CASE
                     WHEN starts_with(target, '/gitlab/') THEN
                        CASE WHEN regexp_matches(split_part(target, '?', 1), {sql_str(omnibus)}) THEN 'omnibus' END
                     WHEN starts_with(target, '/v2/gitlab/') THEN
                        CASE WHEN regexp_matches(split_part(target, '?', 1), '^/v2/gitlab/gitlab-(ee|ce)/manifests/[^/:]+$') THEN 'docker_image' END
                     WHEN starts_with(target, '/gitlab-org/') THEN
                        CASE WHEN regexp_matches(split_part(target, '?', 1), '^/gitlab-org/(gitlab|gitlab-foss)\\.git/info/refs$')
                                  AND regexp_matches(substr(target, strpos(target, '?') + 1), '(^|&)service=git-upload-pack(&|$)')
                                  AND contains(target, '?') THEN 'source'
                             WHEN regexp_matches(split_part(target, '?', 1), '^/gitlab-org/(gitlab|gitlab-foss)/-/archive/[^/]*/[^/]+$')
                                  AND regexp_matches(split_part(target, '?', 1), '\\.(tar\\.gz|tar\\.bz2|tar|zip)$')
                                  AND starts_with(regexp_extract(split_part(target, '?', 1), '/([^/]+)$', 1),
                                                  regexp_extract(split_part(target, '?', 1), '^/gitlab-org/([^/]+)/', 1)) THEN 'source'
                        END
                     WHEN regexp_matches(split_part(target, '?', 1), '(^|/)gitlab-\\d+\\.\\d+\\.\\d+\\.tgz$') THEN 'helm_chart'
                   END AS method
            FROM requests WHERE method = 'GET' AND status BETWEEN 200 AND 299
        )
        SELECT month, method, sum(n)::UBIGINT AS downloads FROM (
            SELECT month, method, count(*) AS n FROM classified WHERE method IS NOT NULL AND status <> 206 GROUP BY ALL
            UNION ALL
            SELECT month, method, count(DISTINCT (client, path)) FROM classified
            WHERE method IS NOT NULL AND status = 206 GROUP BY ALL
        ) GROUP BY month, method ORDER BY month, method COLLATE "C"
    """)
    write_csv(rows)


def write_csv(rel):
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(rel.columns)
    for row in rel.fetchall():
        out.writerow(row)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "pings":
        pings(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "downloads":
        downloads(sys.argv[2:])
    else:
        raise SystemExit(__doc__)
