"""The schema as it stood when versioned migrations began: every table, column and index
the bot had created for itself until then, frozen as data (revision 0001 builds it).

Each table: (name, columns, primary key, autoincrement, indexes). Columns are written
"name KIND [NOT NULL] [DEFAULT sql]", KIND one of TEXT, FLOAT, INTEGER, BLOB; an index is
"[UNIQUE] name (columns)"."""

# fmt: off
TABLES = [
    ("admin_settings",
     "key TEXT, value TEXT, changed_at FLOAT, changed_by TEXT",
     ["key"], False, []),
    ("alerts",
     "name TEXT, state TEXT, changed_at FLOAT",
     ["name"], False, []),
    ("approvals",
     "id TEXT, kind TEXT, ref TEXT, requester TEXT, grid_id TEXT, grid_name TEXT, "
     "channel_id TEXT, rows INTEGER, estimate FLOAT, state TEXT, decided_by TEXT, "
     "decided_at FLOAT, created_at FLOAT, messages TEXT",
     ["id"], False, [
         "UNIQUE idx_approvals_kind_ref (kind, ref)",
         "idx_approvals_state_created_at (state, created_at)",
     ]),
    ("audit",
     "id INTEGER, at FLOAT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, grid_id "
     "TEXT, grid_name TEXT, run_id TEXT, channel_id TEXT, rows INTEGER, outcome TEXT, "
     "entry TEXT, details TEXT",
     ["id"], True, [
         "idx_audit_actor_at (actor, at)",
         "idx_audit_at (at)",
         "idx_audit_grid_id_at (grid_id, at)",
     ]),
    ("batch_row_copies",
     "dedupe_key TEXT, batch_id TEXT, extra INTEGER",
     ["dedupe_key"], False, [
         "idx_batch_row_copies_batch_id (batch_id)",
     ]),
    ("batches",
     "id TEXT, dedupe_key TEXT, grid_id TEXT NOT NULL, grid_name TEXT, user_id TEXT NOT "
     "NULL, team_id TEXT, channel_id TEXT, file_name TEXT, file_id TEXT, file_path TEXT, "
     "encoding TEXT, delimiter TEXT, headers TEXT, mapping TEXT, outputs TEXT, "
     "output_columns TEXT, mode TEXT, state TEXT NOT NULL, rows_total INTEGER, "
     "rows_skipped INTEGER, rows_duplicate INTEGER, runs_total INTEGER, fresh INTEGER, "
     "estimate FLOAT, credits_before INTEGER, credits_after INTEGER, pause_code TEXT, "
     "pause_reason TEXT, pause_notified INTEGER, cancelled_by TEXT, decided_by TEXT, "
     "created_at FLOAT, started_at FLOAT, finished_at FLOAT, post_channel TEXT, message_ts "
     "TEXT, fallback_reason TEXT, progress_at FLOAT, progress_seen TEXT, reply_lease "
     "FLOAT, reply_attempted_at FLOAT, reply_posted_at FLOAT, file_posted_at FLOAT, "
     "result_file_id TEXT, result_path TEXT",
     ["id"], False, [
         "UNIQUE idx_batches_dedupe_key (dedupe_key)",
         "idx_batches_state (state)",
     ]),
    ("cache",
     "key TEXT, value TEXT, stored_at FLOAT",
     ["key"], False, []),
    ("channel_defaults",
     "channel_id TEXT, grid_id TEXT, grid_name TEXT, set_by TEXT, set_at FLOAT",
     ["channel_id"], False, []),
    ("credit_readings",
     "id TEXT, read_at FLOAT NOT NULL, seen_until FLOAT NOT NULL, remaining INTEGER NOT "
     "NULL, used INTEGER NOT NULL, total INTEGER NOT NULL, plan TEXT, renews_at TEXT",
     ["id"], False, [
         "credit_readings_read_at (read_at)",
     ]),
    ("detect_declines",
     "user_id TEXT NOT NULL, channel_id TEXT NOT NULL, declined_at FLOAT",
     ["user_id", "channel_id"], False, []),
    ("detect_offers",
     "id TEXT, channel_id TEXT NOT NULL, message_ts TEXT NOT NULL, user_id TEXT NOT NULL, "
     "grid_id TEXT NOT NULL, value TEXT NOT NULL, found TEXT NOT NULL, state TEXT NOT "
     "NULL, created_at FLOAT NOT NULL",
     ["id"], False, [
         "UNIQUE detect_offers_once (channel_id, message_ts)",
     ]),
    ("digest_sends",
     "reader TEXT NOT NULL, week TEXT NOT NULL, claimed_at FLOAT NOT NULL, sent_at FLOAT",
     ["reader", "week"], False, []),
    ("files",
     "id TEXT, kind TEXT, name TEXT, owner TEXT, size INTEGER, data BLOB, created_at FLOAT",
     ["id"], False, [
         "idx_files_owner (owner)",
     ]),
    ("grid_costs",
     "grid_id TEXT, credits_per_run FLOAT, runs INTEGER, measured_at FLOAT",
     ["grid_id"], False, []),
    ("home_viewers",
     "user_id TEXT, opened_at FLOAT",
     ["user_id"], False, []),
    ("leases",
     "name TEXT, owner TEXT, lease_until FLOAT",
     ["name"], False, []),
    ("person_prefs",
     "user_id TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, changed_at FLOAT "
     "NOT NULL",
     ["user_id", "name"], False, []),
    ("preview_channels",
     "channel_id TEXT, level TEXT, detect INTEGER NOT NULL DEFAULT 0, set_by TEXT, set_at "
     "FLOAT",
     ["channel_id"], False, []),
    ("preview_mutes",
     "user_id TEXT, muted_at FLOAT",
     ["user_id"], False, []),
    ("rotation_confirmations",
     "view_id TEXT, claimed_at FLOAT",
     ["view_id"], False, []),
    ("run_timings",
     "key TEXT, first_poll FLOAT, recent TEXT, samples INTEGER, updated_at FLOAT",
     ["key"], False, []),
    ("runs",
     "id TEXT, dedupe_key TEXT, provider TEXT NOT NULL DEFAULT 'bitscale', target TEXT, "
     "grid_id TEXT NOT NULL, grid_name TEXT, inputs TEXT, output_columns TEXT, user_id "
     "TEXT NOT NULL, team_id TEXT, channel_id TEXT, thread_ts TEXT, source TEXT, "
     "post_channel TEXT, message_ts TEXT, post_thread_ts TEXT, permalink TEXT, "
     "fallback_reason TEXT, state TEXT NOT NULL, request_id TEXT, join_key TEXT, joined_to "
     "TEXT, resubmits INTEGER, counted_from FLOAT, mode TEXT, outputs TEXT, error_code "
     "TEXT, error_message TEXT, created_at FLOAT, submit_after FLOAT, submitted_at FLOAT, "
     "finished_at FLOAT, next_poll_at FLOAT, poll_errors INTEGER, lease_until FLOAT, "
     "notify_attempted_at FLOAT, notify_next_at FLOAT, notify_attempts INTEGER, "
     "notified_at FLOAT, notify_error TEXT, owner TEXT, late_after TEXT, progress_at "
     "FLOAT, same_failures INTEGER, input_key TEXT, reused_from TEXT, reused_from_user "
     "TEXT, reused_from_at FLOAT, batch_id TEXT, quiet INTEGER, step_execution_id TEXT, "
     "step_attempts INTEGER, step_next_at FLOAT, step_completed_at FLOAT, step_error TEXT, "
     "request_id_at FLOAT, running_seen_at FLOAT, first_poll_at FLOAT, polls INTEGER",
     ["id"], False, [
         "idx_runs_batch_id_state (batch_id, state)",
         "idx_runs_created_at (created_at)",
         "UNIQUE idx_runs_dedupe_key (dedupe_key)",
         "idx_runs_input_key_state_finished_at (input_key, state, finished_at)",
         "idx_runs_join_key_state (join_key, state)",
         "idx_runs_joined_to (joined_to)",
         "idx_runs_request_id (request_id)",
         "idx_runs_state_next_poll_at (state, next_poll_at)",
         "idx_runs_user_id_created_at (user_id, created_at)",
     ]),
    ("secrets",
     "name TEXT, value TEXT, changed_at FLOAT, changed_by TEXT",
     ["name"], False, []),
    ("seen_events",
     "event_id TEXT, seen_at FLOAT",
     ["event_id"], False, [
         "idx_seen_events_seen_at (seen_at)",
     ]),
    ("sessions",
     "token TEXT, payload TEXT, created_at FLOAT",
     ["token"], False, [
         "idx_sessions_created_at (created_at)",
     ]),
    ("unfurl_runs",
     "run_id TEXT, unfurl TEXT NOT NULL",
     ["run_id"], False, [
         "unfurl_runs_card (unfurl)",
     ]),
    ("unfurls",
     "id TEXT, channel_id TEXT NOT NULL, message_ts TEXT NOT NULL, url TEXT NOT NULL, kind "
     "TEXT NOT NULL, links TEXT NOT NULL, user_id TEXT, unfurl_id TEXT, source TEXT, level "
     "TEXT NOT NULL, grid_id TEXT, state TEXT NOT NULL, clicked_by TEXT, created_at FLOAT "
     "NOT NULL, updated_at FLOAT",
     ["id"], False, [
         "UNIQUE unfurls_once (channel_id, message_ts, url)",
         "unfurls_recent (channel_id, url, created_at)",
     ]),
    ("watch_firings",
     "id TEXT, watch_id TEXT, scheduled_at FLOAT, kind TEXT, missed INTEGER, state TEXT, "
     "batch_id TEXT, reason TEXT, created_at FLOAT, started_at FLOAT, finished_at FLOAT, "
     "lease_until FLOAT, owner TEXT, digest TEXT, csv TEXT, post_attempted_at FLOAT, "
     "posted_at FLOAT",
     ["id"], False, [
         "idx_watch_firings_state_lease_until (state, lease_until)",
         "UNIQUE idx_watch_firings_watch_id_scheduled_at (watch_id, scheduled_at)",
     ]),
    ("watch_rows",
     "watch_id TEXT, row_key TEXT, position INTEGER, inputs TEXT, known TEXT, known_at "
     "FLOAT, status TEXT, error TEXT",
     ["watch_id", "row_key"], False, []),
    ("watches",
     "id TEXT, dedupe_key TEXT, owner TEXT NOT NULL, team_id TEXT, grid_id TEXT, grid_name "
     "TEXT, input_keys TEXT, outputs TEXT, schedule TEXT, channel_id TEXT, only_changes "
     "INTEGER, state TEXT NOT NULL, pause_code TEXT, pause_reason TEXT, rows INTEGER, "
     "cost_per_row FLOAT, next_at FLOAT, last_firing_id TEXT, last_result TEXT, last_at "
     "FLOAT, thread_channel TEXT, thread_ts TEXT, created_at FLOAT, updated_at FLOAT",
     ["id"], False, [
         "UNIQUE idx_watches_dedupe_key (dedupe_key)",
         "idx_watches_state_next_at (state, next_at)",
     ]),
]
# fmt: on
