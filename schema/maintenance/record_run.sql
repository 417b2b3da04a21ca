-- One run's row in sync_runs (every value a server-side parameter; one request, so an hourly
-- run with nothing new stays cheap). Params as the columns; skipped lines by reason as two
-- arrays.
INSERT INTO sync_runs (run_id, machine_name, source, started_at, finished_at, status, error,
    agent_version, files_scanned, files_changed, bytes_read, lines_read, messages_new,
    rows_inserted, lines_skipped, skipped_by_reason, unknown_models, duration_ms, rollup_pending)
SELECT {run_id:String}, {machine_name:String}, {source:String},
    fromUnixTimestamp64Milli({started_at:Int64}, 'UTC'),
    fromUnixTimestamp64Milli({finished_at:Int64}, 'UTC'),
    {status:String}, {error:String}, {agent_version:String}, {files_scanned:UInt32},
    {files_changed:UInt32}, {bytes_read:UInt64}, {lines_read:UInt64}, {messages_new:UInt64},
    {rows_inserted:UInt64}, {lines_skipped:UInt64},
    mapFromArrays({reasons:Array(String)}, {counts:Array(UInt64)}),
    {unknown_models:Array(String)}, {duration_ms:UInt64}, {rollup_pending:UInt32}
