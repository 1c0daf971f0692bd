"""The gap registry: every moto gap or behaviour the local cloud patches, where it is fixed, what proves it.

One :class:`Gap` per entry: ``id`` (the "Gap N" its code names), ``service``, a one-line description,
``fixed_in`` (``module:function`` under :mod:`localcloud`, one or more) and ``tests`` (``path::test``, repo
relative, each one fails without the fix). ``tools/localcloud/tests/test_gaps.py`` checks the registry
against the code: each fix exists, each test exists, and every hook registered with the middleware
(``@before``/``@after``) and every moto patch (``@patches.patch``) is listed here. Add a gap here first.
"""

from __future__ import annotations

from dataclasses import dataclass

_LC = "tools/localcloud/tests/"
_PM = _LC + "test_plain_moto.py::"  # these tests also run against plain moto and assert the gap there
_ST = _LC + "test_strict.py::"  # strict mode (off by default): plain moto and the default cloud accept, strict refuses
_TM = _LC + "test_timing.py::"  # the AWS timing model (--timing aws, off by default); plain moto answers at once
_TM_PLAIN = _TM + "test_plain_moto_answers_everything_at_once"


@dataclass(frozen=True)
class Gap:
    id: str
    service: str
    description: str
    fixed_in: tuple[str, ...]
    tests: tuple[str, ...]


GAPS: tuple[Gap, ...] = (
    Gap(
        "1",
        "iam",
        "AWS-managed policies exist (moto loads them only when MOTO_IAM_LOAD_MANAGED_POLICIES is on)",
        ("patches:_aws_managed_iam_policies",),
        (_LC + "test_compat.py::test_iam_aws_managed_policies_exist",),
    ),
    Gap(
        "2",
        "lambda",
        "functions are created and kept without Docker (moto's default runs them in a container)",
        ("patches:_lambda_without_docker",),
        (_LC + "test_compat.py::test_lambda_functions_created_without_docker_survive",),
    ),
    Gap(
        "3",
        "secretsmanager",
        "RotateSecret runs the deployed function (permission, in-progress rule, AWSPENDING, four steps)",
        ("hooks.rotation:rotate_secret",),
        (
            "tests/rotation/test_localcloud_rotate_secret.py::test_rotate_secret_runs_the_deployed_function",
            "tests/rotation/test_localcloud_rotate_secret.py::test_without_invoke_permission_rotation_is_refused",
            "tests/rotation/test_localcloud_rotate_secret.py::"
            "test_failed_rotation_keeps_current_and_blocks_the_next_until_repaired",
        ),
    ),
    Gap(
        "3b",
        "secretsmanager",
        "UpdateSecretVersionStage moving AWSCURRENT also moves what GetSecretValue serves without a stage",
        ("hooks.rotation:follow_current",),
        ("tests/rotation/test_localcloud_rotate_secret.py::test_rotate_secret_runs_the_deployed_function",),
    ),
    Gap(
        "3c",
        "secretsmanager",
        "DescribeSecret returns the rotation rules as set (ScheduleExpression, Duration)",
        ("hooks.rotation:describe_rules",),
        ("tests/rotation/test_localcloud_rotate_secret.py::test_rotation_rules_only_do_not_rotate",),
    ),
    Gap(
        "4a",
        "rds",
        "DescribeEngineDefault(Cluster)Parameters answer from the aurora-postgresql15/16 catalogue (moto lacks them)",
        ("hooks.catalogue:describe_engine_defaults",),
        (
            _LC + "test_catalogue.py::test_engine_default_cluster_parameters_paginate",
            _LC + "test_catalogue.py::test_engine_default_instance_parameters_are_the_instance_level_ones",
        ),
    ),
    Gap(
        "4b",
        "rds",
        "Describe(DBCluster|DB)Parameters list the catalogue merged with the group's values, with filters and pages",
        ("hooks.catalogue:describe_group_parameters",),
        (
            _LC + "test_catalogue.py::test_new_cluster_group_describes_the_defaults",
            _LC + "test_catalogue.py::test_describe_group_paginates",
        ),
    ),
    Gap(
        "4c",
        "rds",
        "Modify*ParameterGroup is validated against the catalogue (names, modifiability, values, apply method)",
        ("hooks.catalogue:validate_modify",),
        (_LC + "test_catalogue.py::test_invalid_modifications_fail_as_on_aws",),
    ),
    Gap(
        "4d",
        "rds",
        "Reset(DBCluster|DB)ParameterGroup restore the catalogue defaults (moto lacks them)",
        ("hooks.catalogue:reset_group",),
        (_LC + "test_catalogue.py::test_reset_restores_defaults",),
    ),
    Gap(
        "4e",
        "rds",
        "every parameter AWS lists (array_nulls, pgaudit.*, auto_explain.*, apg_*, ...) is accepted, with ApplyType",
        ("hooks.catalogue:validate_modify", "hooks.catalogue:describe_group_parameters"),
        (_LC + "test_catalogue.py::test_parameters_aws_lists_are_accepted_with_their_apply_type",),
    ),
    Gap(
        "4f",
        "rds",
        "parameters AWS fixes (archive_library, server_encoding, ssl_cert_file, ...) are refused as non-modifiable",
        ("hooks.catalogue:validate_modify",),
        (_LC + "test_catalogue.py::test_parameters_aws_fixes_are_refused",),
    ),
    Gap(
        "4g",
        "rds",
        "a value outside a parameter's AllowedValues (enum, range, list) is refused with AWS's message",
        ("hooks.catalogue:validate_modify",),
        (_LC + "test_catalogue.py::test_values_outside_allowed_values_are_refused",),
    ),
    Gap(
        "4h",
        "rds",
        "hundreds of parameters per level, cluster-only ones kept out of DB parameter groups, in pages",
        ("hooks.catalogue:describe_engine_defaults", "hooks.catalogue:describe_group_parameters"),
        (_LC + "test_catalogue.py::test_catalogue_lists_hundreds_per_level_in_pages",),
    ),
    Gap(
        "4i",
        "rds",
        "the aurora-postgresql16 family has its own catalogue (PostgreSQL 16's parameters added and removed)",
        ("hooks.catalogue:describe_group_parameters", "hooks.catalogue:validate_modify"),
        (_LC + "test_catalogue.py::test_aurora_postgresql16_has_postgresql16s_parameters",),
    ),
    Gap(
        "5",
        "rds",
        "cluster members get their cluster's DB subnet group",
        ("hooks.compat:inherit_cluster_subnet_group",),
        (_LC + "test_compat.py::test_cluster_members_inherit_subnet_group",),
    ),
    Gap(
        "6",
        "rds",
        "Performance Insights settings are stored and returned",
        ("hooks.compat:store_performance_insights",),
        (_LC + "test_compat.py::test_performance_insights_stored",),
    ),
    Gap(
        "7",
        "ec2",
        'NAT gateway tags are filed under resource type "natgateway", as on AWS',
        ("patches:_nat_gateway_tag_resource_type",),
        (_LC + "test_compat.py::test_nat_gateway_tags_use_aws_resource_type",),
    ),
    Gap(
        "8",
        "kms",
        "ScheduleKeyDeletion / CancelKeyDeletion / DisableKey / EnableKey accept a key ARN (the other actions did)",
        ("patches:_kms_accepts_key_arn",),
        (_PM + "test_kms_accepts_key_arn_wherever_aws_does",),
    ),
    Gap(
        "9a",
        "rds",
        "instances without a requested AZ are spread over the subnet group's AZs",
        ("hooks.compat:spread_instances_over_azs",),
        (_LC + "test_compat.py::test_instances_without_az_spread_over_subnet_group",),
    ),
    Gap(
        "9b",
        "rds",
        "a deleted cluster's automated snapshots are removed with it",
        ("hooks.compat:drop_automated_snapshots",),
        (_LC + "test_compat.py::test_no_automated_snapshots_left_after_cluster_deletion",),
    ),
    Gap(
        "10",
        "rds",
        'new instances stay "creating" for LOCALCLOUD_RDS_CREATE_SECONDS, then become available',
        ("hooks.lifecycle:start_creating", "hooks.lifecycle:finish_creating"),
        (_LC + "test_lifecycle.py::test_instances_are_creating_for_a_while",),
    ),
    Gap(
        "11a",
        "rds",
        "a real PostgreSQL 15 primary and hot standbys behind the cluster, reader and instance endpoints",
        ("hooks.dataplane:_install", "hooks.dataplane:start_primary", "hooks.dataplane:start_standby"),
        (
            _LC + "test_dataplane.py::test_endpoints_point_at_loopback_servers",
            _LC + "test_dataplane.py::test_every_reader_replicates",
        ),
    ),
    Gap(
        "11b",
        "rds",
        "rds.force_ssl of the cluster parameter group decides whether plaintext logins are refused",
        ("hooks.dataplane:sync_force_ssl",),
        (
            _LC + "test_dataplane.py::test_force_ssl_follows_the_parameter_group",
            _LC + "test_dataplane.py::test_switching_the_cluster_parameter_group",
        ),
    ),
    Gap(
        "11c",
        "rds",
        "ModifyDBCluster with MasterUserPassword changes the database password",
        ("hooks.dataplane:change_master_password",),
        (_LC + "test_dataplane.py::test_master_password_change",),
    ),
    Gap(
        "11d",
        "rds",
        "RebootDBInstance restarts the instance's server",
        ("hooks.dataplane:restart_server",),
        (_LC + "test_dataplane.py::test_reboot_restarts_the_server",),
    ),
    Gap(
        "11e",
        "rds",
        "DeleteDBInstance / DeleteDBCluster stop their servers",
        ("hooks.dataplane:stop_deleted",),
        (_LC + "test_dataplane.py::test_delete_reader_and_cluster_stop_servers",),
    ),
    Gap(
        "12",
        "ec2",
        "UpdateSecurityGroupRuleDescriptions* answer <return>true</return>",
        ("hooks.compat:rule_description_update_returns_true",),
        (_LC + "test_compat.py::test_rule_description_updates_return_true",),
    ),
    Gap(
        "13",
        "ec2",
        "a deleted resource's tags are gone from DescribeTags",
        ("hooks.compat:forget_tags_of_deleted_resources",),
        (_LC + "test_compat.py::test_tags_of_deleted_resources_are_gone",),
    ),
    Gap(
        "14",
        "rds",
        "exported cluster logs get their /aws/rds/cluster/<id>/<log> log group",
        ("hooks.compat:create_exported_log_groups",),
        (_LC + "test_compat.py::test_exported_logs_get_their_log_group",),
    ),
    Gap(
        "15",
        "rds",
        "ModifyDBCluster applies CloudwatchLogsExportConfiguration",
        ("hooks.compat:apply_log_export_configuration",),
        (_LC + "test_compat.py::test_log_exports_follow_modify_db_cluster",),
    ),
    Gap(
        "16",
        "rds",
        "a static parameter change shows pending-reboot on the group's members until they reboot",
        (
            "hooks.parameter_status:_install",
            "hooks.parameter_status:members_pending_reboot",
            "hooks.parameter_status:reboot_applies_pending_parameters",
        ),
        (
            _LC + "test_parameter_status.py::test_cluster_parameter_group_pending_reboot_until_reboot",
            _LC + "test_parameter_status.py::test_instance_parameter_group_pending_reboot_until_reboot",
        ),
    ),
    Gap(
        "17",
        "rds",
        "a parameter group still in use cannot be deleted (InvalidDBParameterGroupState)",
        (
            "hooks.parameter_status:refuse_deleting_used_cluster_parameter_group",
            "hooks.parameter_status:refuse_deleting_used_parameter_group",
        ),
        (
            _LC + "test_parameter_status.py::test_cluster_parameter_group_pending_reboot_until_reboot",
            _LC + "test_parameter_status.py::test_instance_parameter_group_pending_reboot_until_reboot",
        ),
    ),
    Gap(
        "18",
        "kms",
        "the keys behind alias/aws/* are AWS managed (KeyManager AWS, rotation on)",
        ("patches:_kms_aws_managed_keys",),
        (_PM + "test_keys_behind_aws_aliases_are_aws_managed",),
    ),
    Gap(
        "foreign-1",
        "kms",
        "GetKeyRotationStatus answers false while the key is pending deletion, the original status once cancelled",
        ("patches:_kms_rotation_off_while_pending_deletion",),
        (_PM + "test_key_rotation_reads_off_while_pending_deletion",),
    ),
    Gap(
        "foreign-2",
        "ec2",
        "a gateway VPC endpoint reads PrivateDnsEnabled false (interface endpoints only have private DNS)",
        ("hooks.compat:no_private_dns_on_gateway_endpoints",),
        (_PM + "test_gateway_endpoints_have_no_private_dns",),
    ),
    Gap(
        "foreign-5",
        "ec2",
        "VPC endpoints answer RequesterManaged false (moto left the field out)",
        ("hooks.compat:endpoints_are_not_requester_managed",),
        (_PM + "test_gateway_endpoints_have_no_private_dns",),
    ),
    Gap(
        "foreign-3",
        "ec2",
        "a deleted VPC endpoint is not found by ID; DeleteVpcEndpoints lists an unknown ID under Unsuccessful",
        ("hooks.compat:deleted_endpoints_are_gone",),
        (_PM + "test_deleted_vpc_endpoint_is_gone",),
    ),
    Gap(
        "foreign-6",
        "ec2",
        "a deleted route table leaves the gateway endpoints that used it (which can then be deleted)",
        ("hooks.compat:endpoints_forget_a_deleted_route_table",),
        (_PM + "test_endpoint_outlives_its_deleted_route_table",),
    ),
    Gap(
        "foreign-4",
        "ec2",
        "a deleted NAT gateway has its DeleteTime (DescribeNatGateways)",
        ("hooks.compat:stamp_nat_gateway_delete_time",),
        (_PM + "test_deleted_nat_gateway_has_a_delete_time",),
    ),
    Gap(
        "19",
        "rds",
        "ModifyDBSubnetGroup keeps the group (moto dropped it); unknown group / one AZ refused as on AWS",
        ("patches:_rds_modify_subnet_group_keeps_it",),
        (
            _PM + "test_modify_db_subnet_group_keeps_the_group",
            _PM + "test_modify_unknown_db_subnet_group_is_not_found",
        ),
    ),
    Gap(
        "20a",
        "secretsmanager",
        "GetSecretValue on a secret scheduled for deletion: AWS's InvalidRequestException message (lookup on_deleted)",
        ("hooks.compat:refuse_value_of_deleted_secret",),
        (_PM + "test_secret_scheduled_for_deletion", _PM + "test_secret_lookup_on_deleted"),
    ),
    Gap(
        "20b",
        "secretsmanager",
        "DescribeSecret / ListSecrets return LastAccessedDate (midnight UTC of the last GetSecretValue)",
        ("hooks.compat:remember_secret_access", "patches:_secret_last_accessed_date"),
        (_PM + "test_secret_last_accessed_date",),
    ),
    Gap(
        "21",
        "ec2",
        "VPCs get the region's default DHCP options set, which exists and outlives DeleteVpc",
        ("patches:_ec2_default_dhcp_options",),
        (_PM + "test_new_vpcs_have_the_default_dhcp_options",),
    ),
    Gap(
        "25",
        "*",
        "moto or a hook raising answers LocalCloudUnsupported 501 (not retried), traceback in the log",
        ("middleware:unsupported",),
        (
            _LC + "test_failfast.py::test_emulator_crash_fails_fast_through_boto3",
            _LC + "test_failfast.py::test_emulator_crash_fails_fast_through_aws_retry",
            _LC + "test_failfast.py::test_unimplemented_action_fails_fast_with_traceback_in_the_log",
        ),
    ),
    Gap(
        "26",
        "rds",
        "DescribeDBEngineVersions answers for aurora-postgresql 13-16 and aurora-mysql 3.0x (moto lacks it)",
        ("hooks.engine_versions:describe_engine_versions",),
        (
            _LC + "test_engine_versions.py::test_aurora_postgresql_versions_as_on_aws",
            _LC + "test_engine_versions.py::test_valid_upgrade_targets",
            _LC + "test_engine_versions.py::test_engine_version_family_and_filters_select",
            _LC + "test_engine_versions.py::test_default_only",
            _LC + "test_engine_versions.py::test_pagination",
            _LC + "test_engine_versions.py::test_aurora_mysql_minimal",
            _LC + "test_engine_versions.py::test_rds_engine_versions_info_module",
        ),
    ),
    Gap(
        "26b",
        "rds",
        "DescribeOrderableDBInstanceOptions: aurora-postgresql 13.9-16.4 from a sourced table (moto stops at 15.2)",
        ("hooks.orderable:describe_orderable_options",),
        (_ST + "test_describe_orderable_options_for_current_versions",),
    ),
    Gap(
        "28",
        "ec2",
        "a deleted NAT gateway's elastic IP is disassociated and stays allocated (moto kept it associated, so a"
        " leftover address looked in use)",
        ("hooks.compat:free_the_addresses_of_a_deleted_nat_gateway", "hooks.timing:_install"),
        (_PM + "test_deleted_nat_gateway_frees_its_elastic_ip", _TM + "test_nat_gateway_and_its_elastic_ip"),
    ),
    Gap(
        "29",
        "rds",
        "ModifyEventSubscription is missing (moto has Create/Describe/Delete): topic, source type, categories and"
        " Enabled change in place; an unknown subscription is SubscriptionNotFound",
        ("hooks.compat:modify_event_subscription",),
        (_PM + "test_modify_event_subscription",),
    ),
    Gap(
        "30",
        "rds",
        "ModifyDBCluster takes any EngineVersion; AWS refuses a downgrade and a new major version without"
        " AllowMajorVersionUpgrade (InvalidParameterCombination)",
        ("hooks.compat:refuse_engine_downgrade",),
        (_PM + "test_cluster_engine_version_only_goes_up",),
    ),
    Gap(
        "31",
        "logs",
        "AssociateKmsKey and DisassociateKmsKey are missing (moto takes kmsKeyId only in CreateLogGroup): a log"
        " group's key is set, changed or removed in place; the key must be an ARN",
        ("hooks.compat:log_group_kms_key",),
        (_PM + "test_log_group_kms_key_changes_in_place",),
    ),
    Gap(
        "32",
        "rds",
        "the data plane runs with the cluster parameter group's shared_preload_libraries, pgaudit.* and log_statement"
        " (static at RebootDBInstance, dynamic at once); the master user may create pgaudit, as Aurora's"
        " rds_superuser may (the data plane's own installation marks it trusted)",
        ("hooks.dataplane:sync_engine_settings", "hooks.dataplane:start_primary"),
        (
            _LC + "test_dataplane.py::test_pgaudit_from_the_parameter_group_reaches_the_exported_log",
            _LC + "test_dataplane.py::test_static_library_waits_for_the_reboot",
        ),
    ),
    Gap(
        "33",
        "logs",
        "the postgresql log export carries the servers' log lines into /aws/rds/cluster/<id>/postgresql, one stream"
        " per instance (moto's log group stayed empty: an audit line could never be found)",
        ("hooks.dataplane:export_postgresql_log",),
        (_LC + "test_dataplane.py::test_pgaudit_from_the_parameter_group_reaches_the_exported_log",),
    ),
    Gap(
        "34",
        "rds",
        "ModifyDBCluster EnableIAMDatabaseAuthentication is stored where DescribeDBClusters does not read it: IAM"
        " database authentication turned on or off on an existing cluster never showed",
        ("hooks.compat:modify_iam_database_authentication",),
        (_PM + "test_iam_database_authentication_changes_in_place",),
    ),
    Gap(
        "35",
        "ec2",
        "DeleteFlowLogs leaves the flow log's tags: DescribeTags still lists a deleted flow log",
        ("hooks.compat:forget_the_tags_of_deleted_flow_logs",),
        (_PM + "test_deleted_flow_log_leaves_no_tags",),
    ),
    Gap(
        "36",
        "sts",
        "GetCallerIdentity answers an IAM user's ARN in the sts form (arn:aws:sts::<account>:user/<name>); AWS answers"
        " arn:aws:iam::<account>:user/<name>, the principal a key policy names",
        ("hooks.compat:caller_user_arn_is_an_iam_arn",),
        (_PM + "test_caller_user_arn_is_an_iam_arn",),
    ),
    Gap(
        "37",
        "rds",
        "ManageMasterUserPassword: the managed secret holds the master user and the password the database accepts"
        " (moto stored admin / a fixed password, and the data plane a random one nobody knew), RDS's default 7-day"
        " rotation; a rotate-now (RotateSecret on the managed secret, or ModifyDBCluster RotateMasterUserPassword)"
        " changes both, RotationRules set its schedule, no Lambda function",
        (
            "hooks.dataplane:rotate_master_user_password",
            "hooks.rotation:rotate_secret",
            "hooks.dataplane:start_primary",
        ),
        (_LC + "test_dataplane.py::test_managed_master_password_logs_in_and_rotates",),
    ),
    Gap(
        "38",
        "lambda",
        "a function's VpcConfig.VpcId is the VPC of its subnets (moto answered a fixed vpc-123abc)",
        ("patches:_lambda_vpc_id_of_its_subnets",),
        (_PM + "test_function_reports_the_vpc_of_its_subnets",),
    ),
    Gap(
        "39",
        "rds",
        "ModifyDBCluster ManageMasterUserPassword=True on a cluster with a master password: the new managed secret"
        " (MasterUserSecret with the given key's ARN) holds the master user and a new password the database accepts,"
        " the old one no longer logs in, 7-day rotation (moto's secret held admin / a fixed password, the database"
        " kept the old one); turning it on again keeps the secret (moto made a second one and orphaned the first);"
        " ManageMasterUserPassword=False with MasterUserPassword deletes the secret and sets that password;"
        " DeleteDBCluster deletes the secret",
        (
            "hooks.dataplane:manage_master_password",
            "patches:_rds_managed_secret_kept",
            "hooks.dataplane:change_master_password",
        ),
        (
            _LC + "test_dataplane.py::test_managed_password_turned_on_later_logs_in_rotates_and_turns_off",
            _LC + "test_dataplane.py::test_deleting_a_managed_cluster_deletes_its_secret",
        ),
    ),
    Gap(
        "39b",
        "rds",
        "ManageMasterUserPassword=True with MasterUserPassword (CreateDBCluster, ModifyDBCluster), and"
        " ModifyDBCluster ManageMasterUserPassword=False without MasterUserPassword, are refused"
        " (InvalidParameterCombination); moto took them, and False alone deleted the secret",
        ("hooks.compat:refuse_managed_password_combinations",),
        (_LC + "test_dataplane.py::test_managed_password_combinations_aws_refuses",),
    ),
    Gap(
        "40",
        "rds",
        "FailoverDBCluster changes the writer (moto answered and changed nothing, and took a target of another"
        " cluster): the named member, or the available reader with the best promotion tier, becomes the writer; the"
        " data plane promotes its standby behind the unchanged writer endpoint (open sessions dropped), the other"
        " readers follow it and the old writer comes back as a reader; RebootDBInstance ForceFailover and deleting"
        " the writer fail over the same way. The cluster and reader endpoints are addresses of their own that follow"
        " the writer and balance over the readers, as Aurora's endpoint names do",
        (
            "hooks.dataplane:failover_cluster",
            "hooks.dataplane:refuse_failover_to_a_stranger",
            "hooks.dataplane:note_deleted_writer",
            "hooks.dataplane:fail_over_deleted_writer",
            "hooks.dataplane:restart_server",
        ),
        (
            _LC + "test_dataplane.py::test_failover_promotes_the_best_reader_behind_the_same_endpoint",
            _LC + "test_dataplane.py::test_failover_refuses_a_target_of_another_cluster",
            _LC + "test_dataplane.py::test_reboot_with_force_failover_and_deleting_the_writer_fail_over",
        ),
    ),
    Gap(
        "41",
        "rds",
        "Backups are real on the data plane (moto only copies objects): continuous WAL archiving and base backups per"
        " cluster, pruned by BackupRetentionPeriod; EarliestRestorableTime/LatestRestorableTime say what the archive"
        " reaches (moto: creation time and now); RestoreDBClusterToPointInTime recovers the source's data to that time"
        " (InvalidRestoreFault outside the range); CreateDBClusterSnapshot holds a base backup that outlives its"
        " cluster, RestoreDBClusterFromSnapshot starts from it (moto started clusters without data)",
        (
            "hooks.backups:_install",
            "hooks.backups:refuse_unrestorable_time",
            "hooks.backups:restore_to_point_in_time",
            "hooks.backups:take_snapshot",
            "hooks.backups:copy_snapshot",
            "hooks.backups:delete_snapshot",
            "hooks.backups:restore_from_snapshot",
            "hooks.backups:final_snapshot_backup",
            "hooks.backups:drop_deleted_archive",
        ),
        (
            _LC + "test_backups.py::test_point_in_time_restore_reaches_the_data_of_that_time",
            _LC + "test_backups.py::test_latest_restorable_time_restore_has_everything_archived",
            _LC + "test_backups.py::test_a_time_outside_the_restorable_range_is_refused",
            _LC + "test_backups.py::test_snapshot_restores_its_data_and_outlives_its_cluster",
            _LC + "test_backups.py::test_retention_prunes_old_base_backups_and_wal",
        ),
    ),
    Gap(
        "41b",
        "rds",
        "a restored cluster (RestoreDBClusterToPointInTime, RestoreDBClusterFromSnapshot) has no RDS-managed password:"
        " its password is the source's, in the data, until ModifyDBCluster hands it to RDS (moto copied the source's"
        " ManageMasterUserPassword and made a managed secret encrypted with the source's key)",
        ("patches:_restored_cluster_password_not_managed",),
        (_LC + "test_backups.py::test_a_restore_of_a_managed_cluster_is_not_managed_until_asked",),
    ),
    Gap(
        "ssm-1",
        "ssm",
        "PutParameter with Overwrite=false creates atomically: of two simultaneous calls one wins (the run lock)",
        ("patches:_ssm_put_parameter_atomic",),
        (_LC + "test_compat.py::test_ssm_put_parameter_without_overwrite_is_atomic",),
    ),
    Gap(
        "27",
        "cloudwatch",
        "DeleteAlarms deletes the alarms' tags (moto kept them: an alarm created again got the old tags back)",
        ("hooks.compat:forget_tags_of_deleted_alarms",),
        (_PM + "test_deleted_alarm_takes_its_tags_along",),
    ),
    Gap(
        "strict-1",
        "rds",
        "strict: CreateDBInstance of a cluster member refuses cluster-level settings and another subnet group",
        ("hooks.strict:refuse_cluster_level_member_settings",),
        (
            _ST + "test_cluster_member_refuses_cluster_level_settings",
            _ST + "test_cluster_member_refuses_another_subnet_group",
        ),
    ),
    Gap(
        "strict-2",
        "rds",
        "strict: CreateDBInstance of a cluster member refuses an engine version other than the cluster's",
        ("hooks.strict:refuse_member_engine_version",),
        (_ST + "test_cluster_member_refuses_another_engine_version",),
    ),
    Gap(
        "strict-3",
        "rds",
        "strict: Create/ModifyDBCluster refuse a backup window overlapping the maintenance window",
        ("hooks.strict:refuse_overlapping_windows",),
        (_ST + "test_backup_window_must_not_overlap_maintenance_window", _ST + "test_windows_overlap"),
    ),
    Gap(
        "strict-4",
        "rds",
        "strict: PerformanceInsightsRetentionPeriod must be 7, 31 * months (1-23) or 731",
        ("hooks.strict:refuse_performance_insights_retention",),
        (_ST + "test_performance_insights_retention_period_is_7_months_or_731",),
    ),
    Gap(
        "strict-5",
        "cloudwatch",
        "strict: PutMetricAlarm Period 10/20/30/n*60, EvaluationPeriods >= 1, Period * EvaluationPeriods <= 7 days",
        ("hooks.strict:refuse_alarm_periods",),
        (_ST + "test_alarm_period_and_evaluation_periods",),
    ),
    Gap(
        "strict-6",
        "lambda",
        "strict: CreateFunction refuses a deprecated runtime (python3.8, nodejs14.x, ...)",
        ("hooks.strict:refuse_deprecated_runtime",),
        (_ST + "test_lambda_refuses_deprecated_runtimes",),
    ),
    Gap(
        "strict-7",
        "rds",
        "strict: Create/ModifyDBInstance refuse an instance class the engine version does not offer; an Aurora"
        " CreateDBCluster refuses DBClusterInstanceClass",
        ("hooks.strict:refuse_unoffered_instance_class", "hooks.strict:refuse_aurora_cluster_instance_class"),
        (
            _ST + "test_instance_class_the_engine_version_does_not_offer",
            _ST + "test_offered_follows_the_table",
            _ST + "test_aurora_cluster_refuses_db_cluster_instance_class",
        ),
    ),
    Gap(
        "strict-8",
        "rds",
        "strict: Create/Modify DBCluster/DBInstance refuse a parameter group of another family than the version's",
        ("hooks.strict:refuse_parameter_group_family",),
        (_ST + "test_parameter_group_of_another_family",),
    ),
    Gap(
        "strict-9",
        "iam",
        "strict: IAM policies, trust policies and KMS key policies naming an action that does not exist",
        ("hooks.iam_actions:refuse_unknown_iam_actions", "hooks.iam_actions:refuse_unknown_key_policy_actions"),
        (
            _ST + "test_iam_policies_with_unknown_actions",
            _ST + "test_iam_trust_policy_with_an_unknown_action",
            _ST + "test_kms_key_policy_with_an_unknown_action",
        ),
    ),
)


# The AWS timing model (``localcloud up --timing aws``, docs/aws-timings.md): moto has no transitional states.
GAPS += (
    Gap(
        "timing-1",
        "rds",
        "--timing aws: clusters and instances pass through AWS's transitional states for AWS's durations / scale"
        " (creating, backing-up, configuring-*, modifying, rebooting, upgrading, deleting, then gone)",
        (
            "hooks.timing:_install",
            "hooks.timing:advance",
            "hooks.timing:count_from_the_answer",
            "hooks.timing:instance_busy",
            "hooks.timing:cluster_busy",
        ),
        (
            _TM + "test_cluster_and_instances_follow_aws_states",
            _TM_PLAIN,
            _TM + "test_timing_endpoint_reports_the_model",
        ),
    ),
    Gap(
        "timing-2",
        "rds",
        "--timing aws: busy instances and clusters refuse Modify/Reboot/Delete (InvalidDBInstanceState,"
        " InvalidDBClusterStateFault); CreateDBInstance stays accepted while the cluster is creating",
        (
            "hooks.timing:refuse_modify_busy_instance",
            "hooks.timing:refuse_reboot_busy_instance",
            "hooks.timing:refuse_deleting_instance",
            "hooks.timing:refuse_modify_busy_cluster",
            "hooks.timing:refuse_delete_busy_cluster",
        ),
        (_TM + "test_cluster_and_instances_follow_aws_states",),
    ),
    Gap(
        "timing-3",
        "ec2",
        "--timing aws: NAT gateways pending -> available, deleting -> deleted; interface endpoints pending ->"
        " available, deleting -> gone",
        ("hooks.timing:_install", "hooks.timing:advance"),
        (
            _TM + "test_nat_gateway_and_its_elastic_ip",
            _TM + "test_interface_endpoint_pending_then_available_deleting_then_gone",
            _TM_PLAIN,
        ),
    ),
    Gap(
        "timing-4",
        "ec2",
        "--timing aws: ReleaseAddress of an elastic IP a NAT gateway still holds is refused (AuthFailure)",
        ("hooks.timing:refuse_release_of_nat_address",),
        (_TM + "test_nat_gateway_and_its_elastic_ip", _TM_PLAIN),
    ),
    Gap(
        "timing-5",
        "lambda",
        "--timing aws: new functions are Pending (longer in a VPC) then Active; LastUpdateStatus InProgress then"
        " Successful after an update",
        ("hooks.timing:_install", "hooks.timing:advance"),
        (_TM + "test_lambda_in_a_vpc_is_pending_then_active_and_updates_are_in_progress", _TM_PLAIN),
    ),
    Gap(
        "timing-6",
        "lambda",
        "--timing aws: Invoke of a Pending function, an update during another: ResourceConflictException 409",
        ("hooks.timing:refuse_busy_function",),
        (_TM + "test_lambda_in_a_vpc_is_pending_then_active_and_updates_are_in_progress",),
    ),
    Gap(
        "timing-7",
        "rds",
        "--timing aws: FailoverDBCluster leaves the cluster failing-over for AWS's failover time, and is refused"
        " (InvalidDBClusterStateFault) while the cluster is not available",
        ("hooks.timing:cluster_failing_over", "hooks.timing:refuse_failover_of_a_busy_cluster"),
        (_TM + "test_engine_upgrade_and_instance_modify",),
    ),
)


def by_fix() -> dict[str, Gap]:
    """``{"module:function": gap}`` for every fix site."""
    return {fix: gap for gap in GAPS for fix in gap.fixed_in}
