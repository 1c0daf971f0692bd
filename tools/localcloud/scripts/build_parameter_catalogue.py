#!/usr/bin/env python3
"""Build the Aurora PostgreSQL parameter catalogues ``localcloud/data/aurora-postgresql{15,16}.json``.

Run it from anywhere, as a user that may run PostgreSQL (as root it uses ``runuser -u postgres``)::

    python tools/localcloud/scripts/build_parameter_catalogue.py [--bindir /usr/lib/postgresql/15/bin]

Three sources, named in each entry's ``_source`` (never sent on the wire):

* ``curated``: ``localcloud/data/sources/aurora-postgresql-curated.json``, transcribed by hand from AWS's
  parameter reference and describe output; these entries win.
* ``postgresql15``: ``pg_settings`` of a throw-away PostgreSQL 15 server started from ``--bindir`` with
  pg_stat_statements and auto_explain preloaded: DataType (bool -> boolean, real -> float, enum -> string),
  AllowedValues (min-max, enum values, ``0,1`` for booleans), ApplyType (postmaster -> static, else
  dynamic), Description (``(unit) short_desc``, as AWS writes it). Filtered by the AWS tables below:
  which GUCs AWS hides, which it fixes (IsModifiable false, Source system), AWS's engine defaults.
* ``aws``: Aurora/RDS parameters PostgreSQL does not have (``rds.*``, ``apg_*``, ``aurora*``, extension
  GUCs such as pgaudit, pg_hint_plan, pg_cron), from the AWS Aurora PostgreSQL parameter reference
  (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Reference.ParameterGroups.html)
  and the extension pages it links to.
* ``postgresql16``: aurora-postgresql16 is 15's list with PostgreSQL 16's GUC changes (from the PostgreSQL 16
  release notes; no 16 binaries on this machine), in :data:`PG16_ADDED` and :data:`PG16_REMOVED`.

Level: every parameter is in the DB cluster parameter group (AWS's cluster group also carries the instance
defaults); those in :data:`CLUSTER_ONLY` (AWS's "cluster-level parameters") are not in the DB parameter group.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "localcloud" / "data"
CURATED = DATA / "sources" / "aurora-postgresql-curated.json"
FIRST_MINOR = {"15": "15.2", "16": "16.1"}  # the first Aurora PostgreSQL release of each major
MODES = ["provisioned"]
INT_MAX = 2147483647

# PostgreSQL GUCs AWS does not list for Aurora PostgreSQL (storage, WAL, recovery and standby settings Aurora
# manages itself, platform and developer options), by pg_settings category prefix and by name.
HIDDEN_CATEGORIES = ("Developer Options", "Write-Ahead Log / Archive Recovery", "Write-Ahead Log / Recovery")
HIDDEN = {
    "archive_mode", "bgwriter_delay", "bgwriter_lru_maxpages", "bgwriter_lru_multiplier", "bonjour", "bonjour_name",
    "checkpoint_completion_target", "checkpoint_warning", "cluster_name", "commit_delay", "commit_siblings",
    "data_sync_retry", "dynamic_library_path", "dynamic_shared_memory_type", "event_source", "extension_destdir",
    "external_pid_file", "fsync", "full_page_writes", "huge_page_size", "jit_provider", "local_preload_libraries",
    "log_checkpoints", "log_recovery_conflict_waits", "log_startup_progress_interval", "max_slot_wal_keep_size",
    "max_wal_size", "min_dynamic_shared_memory", "min_wal_size", "primary_conninfo", "primary_slot_name",
    "promote_trigger_file", "recovery_init_sync_method", "recovery_min_apply_delay", "restrict_nonsystem_relation_kind",
    "session_preload_libraries", "shared_memory_type", "ssl_crl_dir", "ssl_crl_file", "ssl_dh_params_file",
    "ssl_ecdh_curve", "ssl_passphrase_command", "ssl_passphrase_command_supports_reload", "ssl_prefer_server_ciphers",
    "synchronous_standby_names", "syslog_ident", "syslog_sequence_numbers", "syslog_split_messages", "hot_standby",
    "transaction_isolation", "wal_compression", "wal_consistency_checking", "wal_init_zero", "wal_keep_size",
    "wal_level", "wal_log_hints", "wal_receiver_create_temp_slot", "wal_recycle", "wal_retrieve_retry_interval",
    "wal_skip_threshold", "wal_sync_method", "wal_writer_delay", "wal_writer_flush_after",
}  # fmt: skip
# Developer options AWS does list.
SHOWN = {"force_parallel_mode", "jit_expressions", "jit_tuple_deforming"}

# Fixed by AWS (IsModifiable false, Source system), with the value AWS reports where known (None: no value).
SYSTEM = {
    "archive_command": None, "archive_library": None, "archive_timeout": None, "checkpoint_timeout": None,
    "db_user_namespace": "0", "exit_on_error": "0", "hba_file": "/rdsdbdata/config/pg_hba.conf",
    "hot_standby_feedback": None, "huge_pages": "on", "ident_file": "/rdsdbdata/config/pg_ident.conf",
    "krb_server_keyfile": "/rdsdbdata/config/krb5.keytab", "listen_addresses": "*", "lo_compat_privileges": "0",
    "log_file_mode": "0644", "log_timezone": "UTC", "log_truncate_on_rotation": "0", "logging_collector": "1",
    "max_standby_archive_delay": None, "restart_after_crash": None, "server_encoding": "UTF8",
    "ssl_ca_file": "/rdsdbdata/rds-metadata/ca-cert.pem", "ssl_cert_file": "/rdsdbdata/rds-metadata/server-cert.pem",
    "ssl_ciphers": None, "ssl_key_file": "/rdsdbdata/rds-metadata/server-key.pem",
    "superuser_reserved_connections": "3", "syslog_facility": "local0", "unix_socket_directories": "/tmp",
    "unix_socket_group": "rdsdb", "unix_socket_permissions": "0700",
}  # fmt: skip

# AWS's cluster-level parameters: in the DB cluster parameter group only.
CLUSTER_ONLY = {
    "ansi_constraint_trigger_ordering", "ansi_force_foreign_key_checks", "ansi_qualified_update_set_target",
    "apg_ccm_enabled", "apg_write_forward.max_forwarding_connections_percent", "archive_command", "archive_library",
    "archive_timeout", "array_nulls", "aurora.enhanced_logical_replication", "aurora.logical_replication_backup",
    "aurora.logical_replication_globaldb", "autovacuum", "autovacuum_analyze_scale_factor",
    "autovacuum_analyze_threshold", "autovacuum_freeze_max_age", "autovacuum_max_workers",
    "autovacuum_multixact_freeze_max_age", "autovacuum_naptime", "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit", "autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_threshold", "autovacuum_work_mem", "backslash_quote",
    "client_encoding", "data_directory", "datestyle", "default_tablespace", "extra_float_digits", "huge_pages",
    "intervalstyle", "lc_monetary", "lc_numeric", "lc_time", "log_autovacuum_min_duration",
    "max_logical_replication_workers", "max_prepared_transactions", "max_replication_slots",
    "max_sync_workers_per_subscription", "max_wal_senders", "password_encryption", "port",
    "rds.accepted_password_auth_method", "rds.adaptive_autovacuum", "rds.allowed_extensions", "rds.babelfish_status",
    "rds.custom_dns_resolution", "rds.extensions", "rds.force_autovacuum_logging_level", "rds.force_ssl",
    "rds.global_db_rpo", "rds.logical_replication", "rds.restrict_password_commands", "server_encoding", "ssl",
    "ssl_max_protocol_version", "ssl_min_protocol_version", "synchronous_commit", "timezone",
    "track_commit_timestamp", "vacuum_cost_delay", "vacuum_cost_limit", "vacuum_cost_page_dirty",
    "vacuum_cost_page_hit", "vacuum_cost_page_miss", "vacuum_defer_cleanup_age", "vacuum_failsafe_age",
    "vacuum_freeze_min_age", "vacuum_freeze_table_age", "vacuum_multixact_failsafe_age",
    "vacuum_multixact_freeze_min_age", "vacuum_multixact_freeze_table_age", "wal_buffers", "wal_sender_timeout",
}  # fmt: skip

# AWS's lists (DataType list): comma-separated values, each checked against AllowedValues.
LISTS = {"shared_preload_libraries", "pgaudit.log", "rds.extensions", "rds.allowed_extensions", "search_path"}

_LOG_LEVELS = "debug5,debug4,debug3,debug2,debug1,info,notice,warning,error,log,fatal,panic"
_BOOL = ("boolean", "0,1")
# Aurora / RDS / extension parameters PostgreSQL itself does not have:
# name: (ApplyType, DataType, AllowedValues, default or None, description[, MinimumEngineVersion]).
AWS_ONLY = {
    "ansi_constraint_trigger_ordering": ("dynamic", *_BOOL, None, "Change the firing order of constraint triggers to be compatible with the ANSI SQL standard."),
    "ansi_force_foreign_key_checks": ("dynamic", *_BOOL, None, "Ensure referential actions such as cascaded delete or cascaded update will always occur regardless of the various trigger contexts that exist for the action."),
    "ansi_qualified_update_set_target": ("dynamic", *_BOOL, None, "Support table and schema qualifiers in UPDATE ... SET statements."),
    "apg_ccm_enabled": ("dynamic", *_BOOL, None, "Enable or disable cluster cache management (CCM) for the Aurora PostgreSQL DB cluster."),
    "apg_enable_batch_mode_function_execution": ("dynamic", *_BOOL, None, "Enables batch-mode functions to process sets of rows at a time."),
    "apg_enable_correlated_any_transform": ("dynamic", *_BOOL, None, "Enables the planner to transform correlated ANY Sublink (IN/NOT IN subquery) to JOIN when possible."),
    "apg_enable_function_migration": ("dynamic", *_BOOL, None, "Enables the planner to migrate eligible scalar functions to the FROM clause."),
    "apg_enable_not_in_transform": ("dynamic", *_BOOL, None, "Enables the planner to transform NOT IN subquery to ANTI JOIN when possible."),
    "apg_enable_remove_redundant_inner_joins": ("dynamic", *_BOOL, None, "Enables the planner to remove redundant inner joins when possible."),
    "apg_enable_semijoin_push_down": ("dynamic", *_BOOL, None, "Enables the use of semijoin filters for hash joins."),
    "apg_plan_mgmt.capture_plan_baselines": ("dynamic", "string", "off,automatic,manual", None, "Capture query plan baselines."),
    "apg_plan_mgmt.explain_hashes": ("dynamic", *_BOOL, None, "Explain the sql_hash and plan_hash of a statement with EXPLAIN."),
    "apg_plan_mgmt.log_plan_enforcement_result": ("dynamic", "string", "none,on_error,all", None, "Log the result of plan enforcement."),
    "apg_plan_mgmt.max_databases": ("static", "integer", "1-2147483647", None, "Maximum number of databases that use apg_plan_mgmt."),
    "apg_plan_mgmt.max_plans": ("static", "integer", "10-1000000", None, "Maximum number of plans that apg_plan_mgmt may cache."),
    "apg_plan_mgmt.plan_capture_threshold": ("dynamic", "float", "0-1.79769e+308", None, "Capture a plan only when its total cost is at or above this threshold."),
    "apg_plan_mgmt.plan_hash_version": ("dynamic", "integer", "1-3", None, "The version of the plan hash algorithm."),
    "apg_plan_mgmt.plan_retention_period": ("static", "integer", "32-2147483647", None, "Number of days since a plan was last used before it is deleted."),
    "apg_plan_mgmt.unapproved_plan_execution_threshold": ("dynamic", "integer", "0-2147483647", None, "Total cost below which an unapproved plan is executed."),
    "apg_plan_mgmt.use_plan_baselines": ("dynamic", *_BOOL, None, "Use only approved or fixed plans for managed statements."),
    "apg_write_forward.consistency_mode": ("dynamic", "string", "SESSION,EVENTUAL,GLOBAL,OFF", None, "Consistency of reads after writes forwarded from a secondary cluster of a global database.", "15.4"),
    "apg_write_forward.idle_in_transaction_session_timeout": ("dynamic", "integer", "0-2147483647", None, "(ms) Timeout of an idle transaction of a forwarded-write session on the writer.", "15.4"),
    "apg_write_forward.idle_session_timeout": ("dynamic", "integer", "0-2147483647", None, "(ms) Timeout of an idle forwarded-write session on the writer.", "15.4"),
    "apg_write_forward.max_forwarding_connections_percent": ("dynamic", "integer", "1-100", None, "Percentage of the writer's connections that may be used for write forwarding.", "15.4"),
    "aurora.enhanced_logical_replication": ("static", *_BOOL, None, "Enable enhanced logical replication (write-through cache for the logical replication stream).", "15.4"),
    "aurora.logical_replication_backup": ("static", *_BOOL, None, "Keep logical replication slots across a restore from backup.", "15.4"),
    "aurora.logical_replication_globaldb": ("static", *_BOOL, None, "Keep logical replication slots across a global database switchover.", "15.4"),
    "aurora_compute_plan_id": ("dynamic", "string", "on,off", "on", "Compute the plan identifier of each query.", "15.4"),
    "aurora_stat_plans.calls_until_recapture": ("dynamic", "integer", "0-1073741823", None, "Number of calls after which a plan is captured again in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.minutes_until_recapture": ("dynamic", "integer", "0-1073741823", None, "Number of minutes after which a plan is captured again in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_analyze": ("dynamic", *_BOOL, None, "Capture plans with EXPLAIN ANALYZE in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_buffers": ("dynamic", *_BOOL, None, "Capture buffer usage with plans in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_costs": ("dynamic", *_BOOL, "1", "Capture costs with plans in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_timing": ("dynamic", *_BOOL, "1", "Capture timing with plans in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_triggers": ("dynamic", *_BOOL, None, "Capture trigger statistics with plans in aurora_stat_plans.", "15.4"),
    "aurora_stat_plans.with_wal": ("dynamic", *_BOOL, None, "Capture WAL usage with plans in aurora_stat_plans.", "15.4"),
    "auto_explain.hashes": ("dynamic", *_BOOL, None, "Log the sql_hash and plan_hash with each logged plan."),
    "cron.database_name": ("static", "string", None, None, "Database in which pg_cron metadata is kept."),
    "cron.log_run": ("static", *_BOOL, None, "Log all jobs runs into the job_run_details table."),
    "cron.log_statement": ("static", *_BOOL, None, "Log all cron statements prior to execution."),
    "cron.max_running_jobs": ("static", "integer", "0-1024", None, "Maximum number of jobs that can run concurrently."),
    "cron.use_background_workers": ("static", *_BOOL, None, "Use background workers instead of client sessions."),
    "pg_bigm.enable_recheck": ("dynamic", "string", "on,off", None, "Performs recheck which is an internal process of full text search."),
    "pg_bigm.gin_key_limit": ("dynamic", "integer", "0-2147483647", None, "Maximum number of 2-grams of the search keyword to be used for full text search."),
    "pg_bigm.similarity_limit": ("dynamic", "float", "0-1", None, "Sets the similarity threshold used by the =% operator."),
    "pg_hint_plan.debug_print": ("dynamic", "string", "off,on,detailed,verbose", None, "Logs results of hint parsing."),
    "pg_hint_plan.enable_hint": ("dynamic", *_BOOL, None, "Force planner to use plans specified in the hint comment preceding the query."),
    "pg_hint_plan.enable_hint_table": ("dynamic", *_BOOL, None, "Force planner to not get hint by using table lookups."),
    "pg_hint_plan.message_level": ("dynamic", "string", "error,warning,notice,info,log,debug", None, "Message level of debug messages."),
    "pg_hint_plan.parse_messages": ("dynamic", "string", "error,warning,notice,info,log,debug", None, "Message level of parse errors."),
    "pg_prewarm.autoprewarm": ("static", *_BOOL, None, "Starts the autoprewarm worker."),
    "pg_prewarm.autoprewarm_interval": ("dynamic", "integer", "0-2147483", None, "(s) Sets the interval between dumps of shared buffers."),
    "pgaudit.log_catalog": ("dynamic", *_BOOL, None, "Specifies that session logging should be enabled in the case where all relations in a statement are in pg_catalog."),
    "pgaudit.log_level": ("dynamic", "string", "debug5,debug4,debug3,debug2,debug1,info,notice,warning,log", None, "Specifies the log level that will be used for log entries."),
    "pgaudit.log_parameter": ("dynamic", *_BOOL, None, "Specifies that audit logging should include the parameters that were passed with the statement."),
    "pgaudit.log_relation": ("dynamic", *_BOOL, None, "Specifies whether session audit logging should create a separate log entry for each relation referenced in a SELECT or DML statement."),
    "pgaudit.log_rows": ("dynamic", *_BOOL, None, "Specifies whether logging will include the rows retrieved or affected by a statement."),
    "pgaudit.log_statement_once": ("dynamic", *_BOOL, None, "Specifies whether logging will include the statement text and parameters with the first log entry for a statement/substatement combination or with every entry."),
    "pglogical.batch_inserts": ("dynamic", *_BOOL, None, "Tells pglogical to use batch insert mechanism if possible."),
    "pglogical.conflict_log_level": ("dynamic", "string", _LOG_LEVELS, None, "Sets log level used for logging resolved conflicts."),
    "pglogical.conflict_resolution": ("dynamic", "string", "error,apply_remote,keep_local,last_update_wins,first_update_wins", None, "Sets method used for conflict resolution for resolvable conflicts."),
    "pglogical.synchronous_commit": ("dynamic", *_BOOL, None, "pglogical specific synchronous commit value."),
    "pglogical.use_spi": ("dynamic", *_BOOL, None, "Use SPI instead of low-level API for applying changes."),
    "pg_partman_bgw.dbname": ("dynamic", "string", None, None, "Required. The database(s) that run_maintenance() will run on."),
    "pg_partman_bgw.interval": ("dynamic", "integer", "1-315360000", None, "(s) Number of seconds between calls to run_maintenance()."),
    "pg_partman_bgw.role": ("dynamic", "string", None, None, "The role that run_maintenance() will run as."),
    "pgtle.clientauth_db_name": ("static", "string", None, None, "Database in which the pg_tle client authentication hooks are defined."),
    "pgtle.enable_clientauth": ("static", "string", "on,off,require", None, "Enables pg_tle client authentication hooks."),
    "pgtle.enable_password_check": ("dynamic", "string", "on,off,require", None, "Enables pg_tle password check hooks."),
    "pgtle.passcheck_db_name": ("static", "string", None, None, "Database in which the pg_tle password check hooks are defined."),
    "postgis.gdal_enabled_drivers": ("dynamic", "string", "ENABLE_ALL,DISABLE_ALL", None, "Enabled GDAL drivers for PostGIS raster."),
    "postgis.enable_outdb_rasters": ("dynamic", *_BOOL, None, "Enable access to out-of-database raster bands."),
    "rds.allowed_extensions": ("dynamic", "list", None, "*", "Space separated list of extensions which may be installed."),
    "rds.babelfish_status": ("static", "string", "off,datatypeonly,on", None, "Set Babelfish for Aurora PostgreSQL status."),
    "rds.custom_dns_resolution": ("dynamic", *_BOOL, None, "Allow resolving of DNS names within the database (e.g. by dblink or postgres_fdw)."),
    "rds.force_admin_logging_level": ("dynamic", "string", "disabled," + _LOG_LEVELS, None, "Log actions by the RDS admin user in customer databases at this level."),
    "rds.force_autovacuum_logging_level": ("dynamic", "string", "disabled," + _LOG_LEVELS, None, "Log autovacuum worker operations at this level."),
    "rds.global_db_rpo": ("dynamic", "integer", "20-2147483647", None, "(s) Recovery point objective threshold, in seconds, that blocks user commits when it is violated."),
    "rds.rds_superuser_reserved_connections": ("static", "integer", "0-262143", None, "Sets the number of connection slots reserved for rds_superusers."),
}  # fmt: skip
AWS_SYSTEM = {"rds.superuser_variables": ("static", "list", None, "session_replication_role", "List of variables rds_superuser may set.")}  # fmt: skip

# AWS's engine defaults for PostgreSQL GUCs (ParameterValue); the curated entries carry theirs.
AWS_DEFAULTS = {
    "max_standby_streaming_delay": "14000", "synchronous_commit": "on",
    "wal_sender_timeout": "60000", "default_toast_compression": "lz4",
}  # fmt: skip
AWS_ALLOWED = {"max_standby_streaming_delay": "1000-30000", "wal_buffers": "-1-262143"}  # AWS's narrower ranges

# PostgreSQL 16's GUC changes (release notes, E.x "Server Configuration"): renamed, added, removed.
PG16_REMOVED = {"force_parallel_mode", "promote_trigger_file", "vacuum_defer_cleanup_age"}
PG16_ADDED = {
    "debug_parallel_query": ("dynamic", "string", "off,on,regress", None, "Forces the planner's use parallel query nodes."),
    "createrole_self_grant": ("dynamic", "string", None, None, "Sets whether a CREATEROLE user automatically grants the role to themselves, and with which options."),
    "enable_presorted_aggregate": ("dynamic", *_BOOL, None, "Enables the planner's ability to produce plans that provide presorted input for ORDER BY / DISTINCT aggregate functions."),
    "icu_validation_level": ("dynamic", "string", "disabled,debug5,debug4,debug3,debug2,debug1,log,notice,warning,error", None, "Log level for reporting invalid ICU locale strings."),
    "max_parallel_apply_workers_per_subscription": ("dynamic", "integer", "0-1024", None, "Maximum number of parallel apply workers per subscription."),
    "scram_iterations": ("dynamic", "integer", "1-2147483647", None, "Sets the iteration count for SCRAM secret generation."),
    "vacuum_buffer_usage_limit": ("dynamic", "integer", "0-16777216", None, "(kB) Sets the buffer pool size for VACUUM, ANALYZE, and autovacuum."),
    "auto_explain.log_parameter_max_length": ("dynamic", "integer", "-1-2147483647", None, "(B) Sets the maximum length of query parameters to log."),
}  # fmt: skip
PG16_SYSTEM = {"reserved_connections": ("static", "integer", "0-262143", "2", "Sets the number of connection slots reserved for roles with privileges of pg_use_reserved_connections.")}  # fmt: skip
PG16_CLUSTER_ONLY = {"max_parallel_apply_workers_per_subscription", "vacuum_buffer_usage_limit"}

_TYPES = {"bool": "boolean", "integer": "integer", "real": "float", "string": "string", "enum": "string"}
_QUERY = (
    "select lower(name), vartype, context, coalesce(unit, ''), coalesce(min_val, ''), coalesce(max_val, ''),"
    " coalesce(array_to_string(enumvals, ','), ''), short_desc, category from pg_settings"
    " where context <> 'internal' order by 1"
)


def pg_settings(bindir: Path) -> list[dict]:
    """The GUCs of a throw-away PostgreSQL server with pg_stat_statements and auto_explain preloaded."""
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="catalogue-pg-"))
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, options = base / "data", f"-c listen_addresses='' -c unix_socket_directories={base}"
    options += " -c shared_preload_libraries=pg_stat_statements,auto_explain"

    def run(*args: str) -> str:
        return subprocess.run([*run_as, *args], check=True, capture_output=True, text=True, cwd=base).stdout

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
        try:
            out = run(str(bindir / "psql"), "-h", str(base), "-U", "postgres", "-AtX", "-F", "\t", "-c", _QUERY)
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
    keys = ("name", "vartype", "context", "unit", "min", "max", "enumvals", "description", "category")
    return [dict(zip(keys, line.split("\t"), strict=True)) for line in out.splitlines() if line]


def _number(text: str) -> str:
    value = float(text)
    if value >= 1e300:
        return "1.79769e+308"
    return str(int(value)) if value == int(value) else f"{value:g}"


def from_postgres(guc: dict, major: str) -> dict | None:
    """A catalogue entry for a PostgreSQL GUC, as AWS lists it, or None when AWS hides it."""
    name = guc["name"]
    if name not in SHOWN and (name in HIDDEN or guc["category"].startswith(HIDDEN_CATEGORIES)):
        return None
    data_type = "list" if name in LISTS else _TYPES[guc["vartype"]]
    if guc["vartype"] == "bool":
        allowed = "0,1"
    elif guc["vartype"] in ("integer", "real"):
        allowed = f"{_number(guc['min'])}-{_number(guc['max'])}"
    else:
        allowed = guc["enumvals"] or None
    unit = guc["unit"]
    entry = {
        "ParameterName": name,
        "Description": f"({unit}) {guc['description']}" if unit else guc["description"],
        "Source": "engine-default",
        "ApplyType": "static" if guc["context"] == "postmaster" else "dynamic",
        "DataType": data_type,
        "IsModifiable": True,
        "_source": f"postgresql{major}",
    }
    allowed = AWS_ALLOWED.get(name, allowed)
    if allowed is not None:
        entry["AllowedValues"] = allowed
    if name in SYSTEM:
        entry.update(Source="system", IsModifiable=False, _source=f"postgresql{major}; fixed by AWS")
        if SYSTEM[name] is not None:
            entry["ParameterValue"] = SYSTEM[name]
    elif AWS_DEFAULTS.get(name) is not None:
        entry["ParameterValue"] = AWS_DEFAULTS[name]
    return entry


def from_table(name: str, row: tuple, source: str, system: bool = False) -> dict:
    apply_type, data_type, allowed, default, description, *minimum = row
    entry = {"ParameterName": name, "Description": description, "Source": "system" if system else "engine-default"}
    entry.update(ApplyType=apply_type, DataType=data_type, IsModifiable=not system, _source=source)
    if allowed is not None:
        entry["AllowedValues"] = allowed
    if default is not None:
        entry["ParameterValue"] = default
    if minimum:
        entry["MinimumEngineVersion"] = minimum[0]
    return entry


def build(major: str, gucs: list[dict]) -> dict:
    curated = json.loads(CURATED.read_text(encoding="utf-8"))
    entries: dict[str, dict] = {}
    cluster_only = CLUSTER_ONLY | set(curated["cluster_only"])
    for guc in gucs:
        entry = from_postgres(guc, "15")
        if entry is not None:
            entries[entry["ParameterName"]] = entry
    if "server_encoding" not in entries:  # an internal GUC in PostgreSQL, listed (fixed) by AWS
        entries["server_encoding"] = from_table(
            "server_encoding", ("static", "string", None, "UTF8", "Sets the server (database) character set encoding."),
            "postgresql; fixed by AWS", system=True)  # fmt: skip
    for name, row in AWS_ONLY.items():
        entries[name] = from_table(name, row, "aws")
    for name, row in AWS_SYSTEM.items():
        entries[name] = from_table(name, row, "aws", system=True)
    if major == "16":
        for name in PG16_REMOVED:
            entries.pop(name, None)
        for name, row in PG16_ADDED.items():
            entries[name] = from_table(name, row, "postgresql16")
        for name, row in PG16_SYSTEM.items():
            entries[name] = from_table(name, row, "postgresql16; fixed by AWS", system=True)
        cluster_only |= PG16_CLUSTER_ONLY
    for parameter in curated["parameters"]:
        entries[parameter["ParameterName"]] = {**parameter, "_source": "curated"}
    for entry in entries.values():
        minimum = entry.get("MinimumEngineVersion", FIRST_MINOR[major])
        entry["MinimumEngineVersion"] = max(minimum, FIRST_MINOR[major], key=lambda v: tuple(map(int, v.split("."))))
        entry["SupportedEngineModes"] = MODES
    ordered = [entries[name] for name in sorted(entries)]
    return {
        "_comment": (
            f"Engine defaults of the aurora-postgresql{major} family, as AWS lists them: 'cluster' is the DB cluster "
            "parameter group, 'instance' the DB parameter group. Generated by "
            "tools/localcloud/scripts/build_parameter_catalogue.py (do not edit by hand; each entry's _source "
            "says where it came from: curated = transcribed from AWS, aws = AWS's parameter reference, "
            "postgresqlNN = PostgreSQL's pg_settings filtered by what AWS lists)."
        ),
        "family": f"aurora-postgresql{major}",
        "cluster": ordered,
        "instance": [entry for entry in ordered if entry["ParameterName"] not in cluster_only],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindir", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    args = parser.parse_args()
    gucs = pg_settings(args.bindir)
    for major in ("15", "16"):
        catalogue = build(major, gucs)
        path = DATA / f"aurora-postgresql{major}.json"
        path.write_text(json.dumps(catalogue, indent=1) + "\n", encoding="utf-8")
        print(f"{path}: {len(catalogue['cluster'])} cluster, {len(catalogue['instance'])} instance parameters")


if __name__ == "__main__":
    main()
