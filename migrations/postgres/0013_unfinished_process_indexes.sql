-- Every node's place-order runner and reconciler poll for unfinished processes. Finished
-- ones (success, failed) are nearly every row once a shop has taken orders for a while, and
-- an index on (state, next_run_at_ms) cannot serve `state NOT IN (…)`, so each poll read
-- the whole history. Partial indexes hold only the rows the polls look for; the queries
-- repeat each index's condition word for word (db::placeorder::DUE and STALE).
CREATE INDEX place_order_processes_runnable ON place_order_processes (next_run_at_ms)
    WHERE state NOT IN ('wait_for_customer', 'success', 'failed');
CREATE INDEX place_order_processes_unfinished ON place_order_processes (updated_at_ms)
    WHERE state NOT IN ('success', 'failed');
DROP INDEX place_order_processes_due;
